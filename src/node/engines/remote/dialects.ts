/**
 * What each OpenAI-compatible server accepts, declared once per dialect: the sampling parameters
 * it honours and their wire names, the largest n and top_logprobs, whether it has the raw
 * /v1/completions endpoint, and how `auto` recognises it. Every mapping and refusal derives from
 * this table.
 *
 * Sources (read from each project's docs and source):
 * - OpenAI: openai/openai-openapi (CreateCompletionRequest: logprobs ≤ 5, n, seed, stop ≤ 4;
 *   CreateChatCompletionRequest: logprobs + top_logprobs 0–20, presence/frequency −2…2). No
 *   top_k, min_p, typical_p or repetition_penalty: the API rejects unknown arguments.
 * - vLLM: docs "OpenAI-Compatible Server", Extra Parameters (top_k, min_p, repetition_penalty,
 *   seed, n; SamplingParams), logprobs capped by --max-logprobs (default 20).
 * - llama.cpp server: tools/server/utils.hpp oaicompat_completion_params_parse ("Only one
 *   completion choice is allowed" for n ≠ 1; logprobs → n_probs; other fields pass through to
 *   the native sampler: top_k, min_p, typical_p, repeat_penalty); README /completion n_probs.
 * - Ollama: docs/openai.md (OpenAI compatibility: temperature, top_p, seed, stop, max_tokens,
 *   presence/frequency_penalty; n, top_k, min_p only through the native API's options), logprobs
 *   and top_logprobs since v0.12.11.
 * - LM Studio: its OpenAI-compatibility docs list top_k and repeat_penalty beside the OpenAI
 *   fields; no logprobs, no n.
 *
 * Schema-constrained output (`jsonSchema`), per route:
 * - OpenAI: response_format { type: 'json_schema', json_schema: { name, schema, strict } } on chat
 *   completions (platform.openai.com/docs/guides/structured-outputs); the legacy
 *   /v1/completions has no response_format.
 * - vLLM: docs "Structured Outputs" (docs.vllm.ai/en/latest/features/structured_outputs): the
 *   Completions and Chat APIs both take response_format json_schema; its own guided_json was
 *   removed in v0.12 for structured_outputs: { json }, so the OpenAI field is the one that lasts.
 *   Enforced by xgrammar or guidance (--structured-outputs-config; older: --guided-decoding-backend).
 * - llama.cpp server: oaicompat_chat_params_parse (tools/server/server-common.cpp) reads
 *   response_format json_schema's `schema` on chat; /completion (and /v1/completions, whose
 *   other fields pass through) takes a top-level `json_schema` (tools/server/README.md), turned
 *   into a GBNF grammar (common/json-schema-to-grammar.cpp).
 * - Ollama: docs/openai.md lists response_format for /v1/chat/completions only; since v0.5 a
 *   json_schema there becomes its native `format`, enforced by a llama.cpp grammar.
 * - LM Studio: docs "Structured Output" (lmstudio.ai/docs/advanced/structured-output): JSON
 *   schema through /v1/chat/completions only; llama.cpp grammars for GGUF, Outlines for MLX.
 */
import type { ServerSamplingParam } from '../../../core/engine/types';

export type JsonSchemaWire = 'response_format' | 'json_schema';

export type DialectId = 'openai' | 'vllm' | 'llamacpp' | 'ollama' | 'lmstudio';
export type DialectChoice = DialectId | 'auto';
export const DIALECT_CHOICES: readonly DialectChoice[] = ['auto', 'openai', 'vllm', 'llamacpp', 'ollama', 'lmstudio'];

export interface Dialect {
  id: DialectId;
  /** The server's name as messages say it. */
  serverName: string;
  /** The parameters it honours, by our name, and each one's wire name. */
  params: Partial<Record<ServerSamplingParam, string>>;
  /** Allowed ranges, where narrower than ours (OpenAI's penalties: −2 … 2). */
  ranges?: Partial<Record<ServerSamplingParam, readonly [number, number]>>;
  maxN: number;
  /** Alternatives per token: on /v1/chat/completions (top_logprobs) and /v1/completions (logprobs). 0: no log-probs. */
  maxTopLogprobs: { chat: number; completions: number };
  /** Whether the raw-prompt endpoint /v1/completions exists (branching by continuation needs it). */
  completions: boolean;
  seeds: boolean;
  /**
   * How a request carries a JSON schema the server must enforce, per route; absent: that route
   * has none, and the constrained route is refused there by name.
   * - 'response_format': `response_format: { type: 'json_schema', json_schema: { name, schema, strict } }`;
   * - 'json_schema': llama.cpp's own top-level `json_schema: <schema>` (its /completion field).
   */
  jsonSchema: { chat?: JsonSchemaWire; completions?: JsonSchemaWire };
  /** What enforces the schema on that server, as the constrained card names it. */
  jsonSchemaEngine: string;
  /** The most stop strings a request may carry. */
  maxStop?: number;
}

const OPENAI_FIELDS = {
  temperature: 'temperature',
  topP: 'top_p',
  seed: 'seed',
  n: 'n',
  maxTokens: 'max_tokens',
  stop: 'stop',
  presencePenalty: 'presence_penalty',
  frequencyPenalty: 'frequency_penalty',
} as const;

export const DIALECTS: Record<DialectId, Dialect> = {
  openai: {
    id: 'openai',
    serverName: 'OpenAI',
    params: OPENAI_FIELDS,
    ranges: { temperature: [0, 2], presencePenalty: [-2, 2], frequencyPenalty: [-2, 2] },
    maxN: 128,
    maxTopLogprobs: { chat: 20, completions: 5 },
    completions: true,
    seeds: true,
    jsonSchema: { chat: 'response_format' },
    jsonSchemaEngine: 'OpenAI Structured Outputs (strict)',
    maxStop: 4,
  },
  vllm: {
    id: 'vllm',
    serverName: 'vLLM',
    params: { ...OPENAI_FIELDS, topK: 'top_k', minP: 'min_p', repetitionPenalty: 'repetition_penalty' },
    maxN: 64,
    maxTopLogprobs: { chat: 20, completions: 20 },
    completions: true,
    seeds: true,
    jsonSchema: { chat: 'response_format', completions: 'response_format' },
    jsonSchemaEngine: "vLLM's structured outputs (xgrammar or guidance, as the server is started)",
  },
  llamacpp: {
    id: 'llamacpp',
    serverName: 'llama.cpp server',
    params: { ...withoutN(OPENAI_FIELDS), topK: 'top_k', minP: 'min_p', typicalP: 'typical_p', repetitionPenalty: 'repeat_penalty' },
    maxN: 1,
    maxTopLogprobs: { chat: 20, completions: 20 },
    completions: true,
    seeds: true,
    jsonSchema: { chat: 'response_format', completions: 'json_schema' },
    jsonSchemaEngine: 'llama.cpp grammar (the schema as GBNF)',
  },
  ollama: {
    id: 'ollama',
    serverName: 'Ollama',
    params: withoutN(OPENAI_FIELDS),
    maxN: 1,
    maxTopLogprobs: { chat: 20, completions: 20 },
    completions: true,
    seeds: true,
    jsonSchema: { chat: 'response_format' },
    jsonSchemaEngine: "Ollama's format (a llama.cpp grammar)",
  },
  lmstudio: {
    id: 'lmstudio',
    serverName: 'LM Studio',
    params: { ...withoutN(OPENAI_FIELDS), topK: 'top_k', repetitionPenalty: 'repeat_penalty' },
    maxN: 1,
    maxTopLogprobs: { chat: 0, completions: 0 },
    completions: true,
    seeds: true,
    jsonSchema: { chat: 'response_format' },
    jsonSchemaEngine: 'LM Studio (llama.cpp grammar for GGUF, Outlines for MLX)',
  },
};

function withoutN<T extends { n: string }>(fields: T): Omit<T, 'n'> {
  const { n: _n, ...rest } = fields;
  return rest;
}

export function isDialectChoice(value: string): value is DialectChoice {
  return (DIALECT_CHOICES as readonly string[]).includes(value);
}

/**
 * `auto`: the dialect from what the server says about itself. The host and default port first
 * (api.openai.com; Ollama 11434; LM Studio 1234), then /v1/models' `owned_by`, which vLLM sets to
 * "vllm" and llama.cpp server to "llamacpp". Anything else gets the OpenAI subset: nothing is
 * sent that an unknown server might ignore.
 */
export function detectDialect(baseUrl: URL, models?: unknown): DialectId {
  if (baseUrl.hostname === 'api.openai.com') return 'openai';
  const owners = new Set<string>();
  const data = (models as { data?: unknown } | undefined)?.data;
  if (Array.isArray(data)) for (const m of data) if (typeof (m as { owned_by?: unknown })?.owned_by === 'string') owners.add((m as { owned_by: string }).owned_by.toLowerCase());
  if (owners.has('vllm')) return 'vllm';
  if (owners.has('llamacpp')) return 'llamacpp';
  if (owners.has('ollama') || baseUrl.port === '11434') return 'ollama';
  if (baseUrl.port === '1234') return 'lmstudio';
  return 'openai';
}

/** How refusals name the server: "api.openai.com", "vLLM at gpu-box:8000". */
export function serverLabel(dialect: Dialect, baseUrl: URL): string {
  if (dialect.id === 'openai') return baseUrl.host;
  return `${dialect.serverName} at ${baseUrl.host}`;
}

/**
 * The base URL a user gives, with or without /v1 (and trailing slashes), as the /v1 root every
 * path hangs from. Refuses anything but http(s), and credentials in the URL (they would be logged).
 */
export function normalizeBaseUrl(input: string): URL {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new Error(`--endpoint must be a URL like http://127.0.0.1:8000 or https://api.openai.com/v1 (got "${input}").`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`--endpoint must be http:// or https:// (got "${url.protocol}").`);
  if (url.username || url.password) throw new Error('--endpoint must not carry a user name or password; give the key with --api-key-env VAR (or OPENAI_API_KEY).');
  url.search = '';
  url.hash = '';
  let p = url.pathname.replace(/\/+$/, '');
  if (!p.endsWith('/v1')) p += '/v1';
  url.pathname = p;
  return url;
}

/** Plain http to a host other than this machine sends the prompt (and key) unencrypted. */
export function isInsecureRemote(url: URL): boolean {
  if (url.protocol !== 'http:') return false;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return !(host === 'localhost' || host === '::1' || /^127\./.test(host));
}
