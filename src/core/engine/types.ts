/**
 * The engine seam: what runs a comparison (a model in this process, the panel's worker, or a
 * remote OpenAI-compatible server) and what it can do, declared as data. Features ask an engine's
 * capabilities and say what a missing one changes; they never branch on which engine it is.
 */
import type { CompareResult, Completion, DecodeOptions, RefusedStrategy, Strategy, TokenInfo } from '../decode/types';
import type { Backend } from '../model/backends';
import type { Dtype } from '../model/hubModel';
import type { PromptFormat } from '../model/promptFormat';
import type { CausalLM } from '../model/types';

/** A sampling parameter a server applies itself, by our setting name (the wire name is the dialect's business). */
export type ServerSamplingParam =
  | 'temperature'
  | 'topP'
  | 'topK'
  | 'minP'
  | 'typicalP'
  | 'repetitionPenalty'
  | 'presencePenalty'
  | 'frequencyPenalty'
  | 'seed'
  | 'n'
  | 'maxTokens'
  | 'stop';

export interface EngineCapabilities {
  /**
   * 'full': every token's logit at every step (the explorer, our own sampler chain, masks).
   * 'top-logprobs': only the chosen token's log-prob and the top `maxTopLogprobs` alternatives.
   * 'none': text only.
   */
  distribution: 'full' | 'top-logprobs' | 'none';
  /** The most alternatives per step a 'top-logprobs' engine returns (OpenAI chat: 20). */
  maxTopLogprobs: number;
  /** A KV cache we hold, so a prefix is computed once and sequences branch from it. */
  kvCache: boolean;
  /** Continue from a chosen token: by our cache, or by re-sending prompt + prefix to a completions endpoint. */
  branching: 'cache' | 'continuation' | 'none';
  /**
   * Who samples: 'client' runs our whole sampler chain (every stage, any order); 'server' means
   * only `serverParams` are honoured, in the server's own order.
   */
  sampling: 'client' | 'server';
  /** For 'server' sampling: the parameters the server honours. */
  serverParams: readonly ServerSamplingParam[];
  /** Constrained output: our own token mask, the server's response_format json_schema, or none. */
  constrained: 'mask' | 'json_schema' | 'none';
  /** For 'json_schema': what enforces the schema on the server, as the constrained card names it. */
  constrainedBy?: string;
  /**
   * For 'json_schema': the schema travels only with a chat prompt (OpenAI, Ollama and LM Studio
   * have it on /v1/chat/completions, not on /v1/completions), so a raw prompt cannot be constrained.
   */
  constrainedNeedsChat?: boolean;
  /** Whether the same seed gives the same tokens. */
  seeds: boolean;
  /** The largest n one request may ask for (more samples take more requests). */
  maxN: number;
}

/** A JSON schema every completion must match, enforced by the engine itself (a server's json_schema). */
export interface EngineJsonSchema {
  /** The schema's name as the wire wants it (OpenAI: ^[A-Za-z0-9_-]{1,64}$). */
  name: string;
  schema: Record<string, unknown> | boolean;
  /** OpenAI's strict mode: the schema is enforced, not a hint. */
  strict: boolean;
}

export interface EngineCompareOptions extends DecodeOptions {
  /** Raw or chat, and the system message (undefined: the engine's default). */
  format?: PromptFormat;
  /**
   * Constrain every completion to this schema. Only an engine whose capabilities say
   * `constrained: 'json_schema'` takes it; where it cannot (a route without it), every strategy
   * is refused by name, never run unconstrained.
   */
  jsonSchema?: EngineJsonSchema;
}

/** One branch by continuation: the run's raw prompt, then the card's text up to and including the chosen token. */
export interface ContinuationRequest {
  prompt: string;
  /** The text of the card's tokens before the step, then the chosen token's text. */
  prefix: string;
  /** The card's strategy: the server samples the continuation as it sampled the card. */
  strategy: Strategy;
  /** The card's sequence seed. */
  seed: number;
  maxNewTokens: number;
  stopStrings?: readonly string[];
  topAlternatives?: number;
  signal?: AbortSignal;
  /** Streams each continued token (step 0 is the first token after the prefix). */
  onToken?: (step: number, token: TokenInfo) => void;
}

export interface Continuation {
  /** The continuation after the prefix (aborted: the tokens that arrived). */
  completion: Completion;
  /** The tokens the engine read as its prompt (prompt + prefix), when it said: the prefix re-tokenized can differ from the card's tokens. */
  promptTokens?: number;
}

export interface Engine {
  /** The registry id of the engine kind: 'local', 'remote', … */
  readonly kind: string;
  /** The model's name as results show it. */
  readonly model: string;
  /** Where it runs, for status lines: 'cpu', 'wasm', 'vllm at http://gpu-box:8000/v1'. */
  readonly where: string;
  readonly capabilities: EngineCapabilities;
  /** The runtime backend of a model run in this process or the panel, shown with its results; absent on a server. */
  readonly backend?: Backend;
  /** The weights a local model loaded (fp32, q8, …), when known. */
  readonly dtype?: Dtype;
  /**
   * The model itself, where the engine holds it in this process: what reads every logit and the
   * KV cache directly (the exact step view, branching from the cache, a judge on the same model)
   * takes it. Absent elsewhere (a server; the panel's model, which lives in its worker).
   */
  readonly causalLM?: CausalLM;
  /** Runs the strategies on the prompt; strategies the engine cannot honour come back in `refused`, by name. */
  compare(prompt: string, strategies: readonly Strategy[], options: EngineCompareOptions): Promise<CompareResult>;
  /**
   * The strategies `compare` would refuse, each with its reason, known before anything is sent:
   * a panel shows them on their cards from the start, and runs only the rest.
   */
  refusals(strategies: readonly Strategy[], options?: Pick<EngineCompareOptions, 'format' | 'jsonSchema'>): RefusedStrategy[];
  /**
   * Present where `capabilities.branching` is 'continuation': continues `prompt + prefix` as raw
   * text. The prefix is text, not the card's token ids, so the engine may read it as other tokens.
   */
  continueText?(request: ContinuationRequest): Promise<Continuation>;
  dispose(): Promise<void>;
}

/** The full-distribution, client-sampled capabilities of a model run in this process or the panel. */
export const LOCAL_CAPABILITIES: EngineCapabilities = {
  distribution: 'full',
  maxTopLogprobs: Number.POSITIVE_INFINITY,
  kvCache: true,
  branching: 'cache',
  sampling: 'client',
  serverParams: [],
  constrained: 'mask',
  seeds: true,
  maxN: 64,
};

/**
 * What an engine's capabilities change for the user, one sentence each, for cards and status
 * lines: empty for a full local engine.
 */
export function capabilityNotes(c: EngineCapabilities): string[] {
  const notes: string[] = [];
  if (c.sampling === 'server') notes.push('Sampled by the server: only the parameters it honours are sent, in its own chain order; the rest are refused by name.');
  if (c.distribution === 'top-logprobs') notes.push(`Alternatives are the server's top ${c.maxTopLogprobs} log-probs; the rest of the distribution is unknown.`);
  if (c.distribution === 'none') notes.push('The server returns no log-probs: no alternatives, mean log-prob or best-of-N.');
  if (!c.seeds) notes.push('The server does not honour seeds: a rerun may differ.');
  if (c.branching === 'none') notes.push(NO_CONTINUATION);
  return notes;
}

const NO_CONTINUATION = 'No branching: the server has no completions endpoint (/v1/completions) to continue a text prefix.';

/**
 * Why a run cannot be branched here, or undefined when it can: by our cache always; by
 * continuation only on a raw prompt, since a chat run's text went through the server's own
 * template, which a raw continuation cannot reproduce.
 */
export function branchingRefusal(c: EngineCapabilities, chat: boolean): string | undefined {
  if (c.branching === 'cache') return undefined;
  if (c.branching === 'none') return NO_CONTINUATION;
  if (chat) return 'No branching on a chat run: the server applied its own chat template, which a continuation from raw text cannot reproduce. Set samplingLab.promptFormat to "raw" to branch on this endpoint.';
  return undefined;
}
