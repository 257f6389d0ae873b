/**
 * Strategies and the results of decoding them. A strategy is a named preset of the sampler
 * chain (plus best-of-N), so what the panel and the CLI print is exactly what ran.
 */
import type { SamplerSpec, StepResult } from '../sampling/types';

export type StrategyKind = 'greedy' | 'temperature' | 'top_k' | 'top_p' | 'min_p' | 'best_of_n' | 'custom';

export interface Strategy {
  /** Display name, unique within one comparison, e.g. "top-p 0.9". */
  name: string;
  kind: StrategyKind;
  sampler: SamplerSpec;
  /** Best-of-N: how many candidates to draw; the one with the highest mean log-prob is kept. */
  candidates?: number;
}

export interface DecodeOptions {
  maxNewTokens: number;
  /**
   * Base seed. Sequence i of every strategy draws from `createRng(sequenceSeed(seed, prompt,
   * firstSample + i))` (core/sampling/rng.ts): reproducible, independent across prompts, and the
   * same batched or sequential. Strategies share sample i's seed, so they are compared on the same
   * uniform draws.
   */
  seed: number;
  /** Index of the first sequence, so a caller can draw further samples of a prompt. Default 0. */
  firstSample?: number;
  stopStrings?: string[];
  signal?: AbortSignal;
  /** Sequences per sampling strategy (greedy always draws one). Default 1. */
  samples?: number;
  /** Decode every sequence in one batch (default) or one after another, each with its own prefill. */
  batch?: boolean;
  /** How many raw-distribution alternatives to report per token. Default 5. */
  topAlternatives?: number;
  /** Called with every step of every sequence, in order, for streaming. */
  onToken?: (event: TokenEvent) => void;
}

export interface TokenEvent {
  /** Index of the strategy in the request. */
  strategy: number;
  /** Index of the sequence within the strategy (0 unless samples > 1 or best-of-N). */
  sample: number;
  step: number;
  token: TokenInfo;
}

export interface TokenInfo extends StepResult {
  text: string;
  alternatives: Array<StepResult['alternatives'][number] & { text: string }>;
  /**
   * Constrained decoding: how many tokens the grammar allowed at this step. The chain then ran on
   * the masked row, so logprobRaw, logprobSampling and alternatives are over the allowed tokens.
   */
  allowed?: number;
}

export type FinishReason = 'eos' | 'stop' | 'length' | 'context' | 'aborted';

export interface Completion {
  text: string;
  tokens: TokenInfo[];
  /** This sequence's own seed (sequenceSeed of the base seed, prompt and sample index): `createRng(seed)` replays it. */
  seed: number;
  finishReason: FinishReason;
  /** Mean of logprobRaw over generated tokens (the best-of-N score, AI Engineering ch. 2). */
  meanLogprob: number;
  sumLogprob: number;
}

export interface StrategyResult {
  strategy: Strategy;
  /** The completion shown for the strategy (for best-of-N: the winner). */
  best: Completion;
  /** All sequences drawn: N samples, or best-of-N's candidates with their scores. */
  completions: Completion[];
  /** Index of `best` within `completions`. */
  bestIndex: number;
  elapsedMs: number;
  tokensPerSecond: number;
}

export interface CompareResult {
  prompt: string;
  promptTokens: number;
  /** The exact text the model read: the chat template's rendering, or BOS + prompt. */
  renderedPrompt?: string;
  /** Whether the prompt went through the model's chat template. */
  promptFormat?: 'raw' | 'chat';
  /** Set when the prompt was cut to fit the model's context. */
  truncatedNotice?: string;
  model: string;
  device: string;
  results: StrategyResult[];
  prefillMs: number;
  elapsedMs: number;
  /** Generated tokens over all sequences per second of wall time. */
  tokensPerSecond: number;
  /** Who drew the tokens when it was not our own sampler chain, e.g. "the server (vllm at http://gpu:8000/v1)". */
  sampledBy?: string;
  /** Strategies the engine cannot honour, each with the reason naming what it lacks ("min-p: not supported by api.openai.com"). */
  refused?: RefusedStrategy[];
}

export interface RefusedStrategy {
  strategy: Strategy;
  reason: string;
}
