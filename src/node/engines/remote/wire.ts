/**
 * The wire format of OpenAI-compatible servers, both ways: a strategy as request parameters for a
 * dialect (or the reasons it cannot be sent), and a response's choices, streamed or whole, as
 * tokens with their log-probs. Two log-prob shapes exist and both are read:
 * - legacy completions (OpenAI /v1/completions, vLLM): `logprobs: { tokens, token_logprobs,
 *   top_logprobs: [{ text: logprob }], text_offset }` (openai-openapi CreateCompletionResponse);
 * - chat (OpenAI /v1/chat/completions, vLLM chat, Ollama ≥ 0.12.11, and llama.cpp server on both
 *   routes): `logprobs: { content: [{ token, logprob, bytes, top_logprobs: [{ token, logprob }] }] }`,
 *   where llama.cpp also gives each token's `id` (tools/server/server.cpp probs_to_json).
 */
import type { FinishReason, Strategy, TokenInfo } from '../../../core/decode/types';
import type { EngineJsonSchema, ServerSamplingParam } from '../../../core/engine/types';
import type { Dialect } from './dialects';
import { bytesText, isWholeUtf8 } from '../../../core/model/tokenBytes';

/** How each parameter is named in a refusal. */
const PARAM_NAMES: Record<ServerSamplingParam, string> = {
  temperature: 'temperature',
  topP: 'top-p',
  topK: 'top-k',
  minP: 'min-p',
  typicalP: 'typical-p',
  repetitionPenalty: 'repetition penalty',
  presencePenalty: 'presence penalty',
  frequencyPenalty: 'frequency penalty',
  seed: 'seed',
  n: 'n',
  maxTokens: 'max tokens',
  stop: 'stop strings',
};

export type SamplingParams = { ok: true; params: Record<string, unknown> } | { ok: false; reason: string };

/**
 * The request parameters that make `dialect`'s server sample as `strategy` says, or every reason
 * it cannot ("min-p: not supported by api.openai.com"). Nothing is dropped: a stage the server
 * lacks refuses the whole strategy.
 */
export function samplingParams(strategy: Strategy, dialect: Dialect, label: string, hasLogprobs: boolean): SamplingParams {
  const reasons: string[] = [];
  const params: Record<string, unknown> = {};
  const set = (param: ServerSamplingParam, value: number) => {
    const wire = dialect.params[param];
    if (wire === undefined) return reasons.push(`${PARAM_NAMES[param]}: not supported by ${label}`);
    const range = dialect.ranges?.[param];
    if (range && (value < range[0] || value > range[1])) return reasons.push(`${PARAM_NAMES[param]} ${value}: ${label} takes ${range[0]} … ${range[1]}`);
    params[wire] = value;
  };
  const greedy = strategy.sampler.select === 'greedy';
  for (const stage of strategy.sampler.stages) {
    switch (stage.type) {
      case 'temperature':
        if ((stage.range ?? 0) > 0) reasons.push(`dynamic temperature: not supported by ${label}`);
        if (!greedy) set('temperature', stage.t);
        break;
      case 'top_k':
        set('topK', stage.k);
        break;
      case 'top_p':
        set('topP', stage.p);
        break;
      case 'min_p':
        set('minP', stage.p);
        break;
      case 'typical_p':
        set('typicalP', stage.p);
        break;
      case 'repetition_penalty':
        if (stage.lastN !== undefined) reasons.push(`repetition penalty's window (last ${stage.lastN} tokens): not supported by ${label}, which uses its own`);
        set('repetitionPenalty', stage.penalty);
        break;
      case 'penalties':
        if (stage.lastN !== undefined) reasons.push(`penalties' window (last ${stage.lastN} tokens): not supported by ${label}, which uses its own`);
        if (stage.presence !== undefined && stage.presence !== 0) set('presencePenalty', stage.presence);
        if (stage.frequency !== undefined && stage.frequency !== 0) set('frequencyPenalty', stage.frequency);
        break;
      default:
        // logit bias needs the server's token ids; DRY, XTC, mirostat, top-nσ, eta and epsilon have no OpenAI-compatible field.
        reasons.push(`${stage.type.replace(/_/g, '-')}: not supported by ${label}`);
    }
  }
  if (greedy) set('temperature', 0);
  if ((strategy.sampler.minKeep ?? 1) > 1) reasons.push(`min-keep: not supported by ${label}`);
  if (strategy.kind === 'best_of_n' && !hasLogprobs) reasons.push(`best-of-N: needs log-probs, which ${label} does not return`);
  return reasons.length > 0 ? { ok: false, reason: reasons.join('; ') } : { ok: true, params };
}

export interface RequestShape {
  route: 'completions' | 'chat';
  model: string;
  prompt: string;
  system?: string;
  n: number;
  seed?: number;
  maxTokens: number;
  stop: readonly string[];
  /** Alternatives per token; 0 with a dialect that has no log-probs. */
  topLogprobs: number;
  params: Record<string, unknown>;
  /** The schema the server must enforce; only where jsonSchemaRefusal found none. */
  jsonSchema?: EngineJsonSchema;
}

/**
 * Why `dialect`'s server cannot enforce a JSON schema on `route`, by name and with the fix, or
 * undefined where it can. The constrained route is refused, never run unconstrained.
 */
export function jsonSchemaRefusal(dialect: Dialect, route: 'completions' | 'chat', label: string): string | undefined {
  if (dialect.jsonSchema[route]) return undefined;
  if (route === 'completions' && dialect.jsonSchema.chat) {
    return `constrained: not supported by ${label} on /v1/completions (raw prompts); its json_schema is on /v1/chat/completions: use the chat prompt format (samplingLab.promptFormat "chat" or "auto", or drop --raw)`;
  }
  return `constrained: not supported by ${label}`;
}

/** The JSON body of one streamed request. */
export function requestBody(shape: RequestShape, dialect: Dialect): Record<string, unknown> {
  const body: Record<string, unknown> = { model: shape.model };
  if (shape.route === 'chat') {
    body.messages = [...(shape.system ? [{ role: 'system', content: shape.system }] : []), { role: 'user', content: shape.prompt }];
  } else body.prompt = shape.prompt;
  Object.assign(body, shape.params);
  if (shape.n > 1) body.n = shape.n;
  if (shape.seed !== undefined && dialect.params.seed) body.seed = shape.seed;
  body.max_tokens = shape.maxTokens;
  if (shape.stop.length > 0) body.stop = [...shape.stop];
  if (shape.topLogprobs > 0) {
    if (shape.route === 'chat') {
      body.logprobs = true;
      body.top_logprobs = shape.topLogprobs;
    } else body.logprobs = shape.topLogprobs;
  }
  if (shape.jsonSchema) {
    const wire = dialect.jsonSchema[shape.route];
    if (wire === 'response_format') body.response_format = { type: 'json_schema', json_schema: { name: shape.jsonSchema.name, schema: shape.jsonSchema.schema, strict: shape.jsonSchema.strict } };
    else if (wire === 'json_schema') body.json_schema = shape.jsonSchema.schema;
    // Never sent unconstrained: the caller refuses first (jsonSchemaRefusal).
    else throw new Error(`${dialect.serverName} has no json_schema on /v1/${shape.route === 'chat' ? 'chat/completions' : 'completions'}.`);
  }
  body.stream = true;
  body.stream_options = { include_usage: true };
  return body;
}

/** What one choice has received so far. */
export interface ChoiceState {
  text: string;
  tokens: TokenInfo[];
  finishReason?: FinishReason;
}

export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';
}

/**
 * Appends what one choice of a chunk (or of a whole response) carries: its text delta and its
 * tokens with log-probs. Returns the tokens added, for streaming. Without log-probs (LM Studio),
 * each text delta stands for one token of unknown log-prob.
 */
export function applyChoice(state: ChoiceState, choice: Record<string, unknown>): TokenInfo[] {
  const delta = choice.delta as { content?: unknown } | undefined;
  const message = choice.message as { content?: unknown } | undefined;
  const text = typeof choice.text === 'string' ? choice.text : typeof delta?.content === 'string' ? delta.content : typeof message?.content === 'string' ? message.content : '';
  const added = tokensOf(choice.logprobs);
  if (added.length === 0 && text !== '') added.push(unknownToken(text));
  state.text += text;
  state.tokens.push(...added);
  const reason = choice.finish_reason;
  if (typeof reason === 'string') state.finishReason = finishReasonOf(reason);
  return added;
}

function finishReasonOf(reason: string): FinishReason {
  // OpenAI's "stop" covers both the end-of-sequence token and a stop string.
  if (reason === 'length') return 'length';
  return 'stop';
}

function unknownToken(text: string): TokenInfo {
  return { token: -1, text, logprobRaw: Number.NaN, logprobSampling: Number.NaN, alternatives: [], candidates: 0 };
}

/** Tokens from either log-prob shape; [] when there are none. */
export function tokensOf(logprobs: unknown): TokenInfo[] {
  if (logprobs === null || logprobs === undefined) return [];
  if (typeof logprobs !== 'object') throw new WireFormatError(`logprobs must be an object (got ${JSON.stringify(logprobs)}).`);
  const lp = logprobs as Record<string, unknown>;
  if (Array.isArray(lp.content)) return lp.content.map(contentToken);
  if (Array.isArray(lp.tokens)) {
    const tokenLogprobs = lp.token_logprobs as unknown[] | undefined;
    const tops = lp.top_logprobs as Array<Record<string, number> | null> | undefined;
    return lp.tokens.map((t, i) => {
      const logprob = num(tokenLogprobs?.[i], 'token_logprobs');
      const top = tops?.[i] ?? {};
      const alternatives = Object.entries(top)
        .map(([text, l]) => ({ token: -1, text, logprob: num(l, 'top_logprobs'), prob: Math.exp(num(l, 'top_logprobs')) }))
        .sort((a, b) => b.logprob - a.logprob);
      return { token: -1, text: String(t), logprobRaw: logprob, logprobSampling: Number.NaN, alternatives, candidates: 0 };
    });
  }
  return [];
}

/**
 * A content entry's text as shown: a token holding part of a UTF-8 character, which servers send
 * cut short (llama.cpp), as "bytes:\\xf0\\x9f" (OpenAI) or "�", is written from its `bytes` as `<0xF0><0x9F>`
 * (core/model/tokenBytes.ts), as the local model's tokens are. Without bytes (or []), the text sent.
 */
function shownText(token: string, bytes: unknown): string {
  if (!Array.isArray(bytes) || bytes.length === 0 || !bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) return token;
  return isWholeUtf8(bytes) ? token : bytesText(bytes);
}

function contentToken(entry: unknown): TokenInfo {
  const e = entry as { id?: unknown; token?: unknown; bytes?: unknown; logprob?: unknown; top_logprobs?: unknown };
  if (typeof e?.token !== 'string') throw new WireFormatError(`a logprobs.content entry has no token text: ${JSON.stringify(entry).slice(0, 200)}`);
  const tops = Array.isArray(e.top_logprobs) ? e.top_logprobs : [];
  const alternatives = tops.map((t: { id?: unknown; token?: unknown; bytes?: unknown; logprob?: unknown }) => {
    const logprob = num(t.logprob, 'top_logprobs[].logprob');
    return { token: typeof t.id === 'number' ? t.id : -1, text: shownText(String(t.token), t.bytes), logprob, prob: Math.exp(logprob) };
  });
  return { token: typeof e.id === 'number' ? e.id : -1, text: shownText(e.token, e.bytes), logprobRaw: num(e.logprob, 'logprob'), logprobSampling: Number.NaN, alternatives, candidates: 0 };
}

function num(v: unknown, field: string): number {
  // OpenAI sends -9999.0 for "practically impossible"; JSON has no −∞, and some servers send null for it.
  if (v === null) return Number.NEGATIVE_INFINITY;
  if (typeof v !== 'number' || Number.isNaN(v)) throw new WireFormatError(`${field} must be a number (got ${JSON.stringify(v)}).`);
  return v;
}
