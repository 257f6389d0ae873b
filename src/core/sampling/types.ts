/**
 * The sampler chain's data types. A chain is data (an ordered list of stage configs), so the
 * order users see is the order that runs, and a test can assert every configured stage ran.
 */

/**
 * One stage of the chain, as the user configures it. Order in the array is the order applied.
 * Each stage's parameters, ranges and defaults are declared once, in its file's definition
 * (registry.ts lists them); optional fields take the definition's default.
 */
export type StageConfig =
  | { type: 'logit_bias'; bias: Record<string, number | false> }
  | { type: 'repetition_penalty'; penalty: number; lastN?: number }
  | { type: 'penalties'; presence?: number; frequency?: number; lastN?: number }
  | {
      type: 'dry';
      multiplier: number;
      base?: number;
      allowedLength?: number;
      lastN?: number;
      /** Texts: a token whose text contains one breaks a repeat. */
      breakers?: string[];
      /** Breaker token ids, for callers without a tokenizer (llama.cpp's own test gives ids). */
      breakerTokens?: number[];
    }
  | { type: 'temperature'; t: number; range?: number; exponent?: number }
  | { type: 'top_k'; k: number }
  | { type: 'top_n_sigma'; n: number }
  | { type: 'typical_p'; p: number }
  | { type: 'top_p'; p: number }
  | { type: 'min_p'; p: number }
  | { type: 'eta'; eta: number }
  | { type: 'epsilon'; epsilon: number }
  | { type: 'xtc'; probability: number; threshold?: number }
  | { type: 'mirostat_v2'; tau: number; eta?: number };

export type StageType = StageConfig['type'];

/** How the final token is picked from what the stages left. */
export type SelectMode = 'sample' | 'greedy';

export interface SamplerSpec {
  stages: StageConfig[];
  /** 'greedy' takes the argmax of what is left; 'sample' draws from it with the seeded PRNG. */
  select: SelectMode;
  /** Every truncating stage keeps at least this many tokens (llama.cpp's min_keep, HF's min_tokens_to_keep). Default 1. */
  minKeep?: number;
}

/** A token and its probability, for the "top alternatives" shown beside each chosen token. */
export interface TokenAlternative {
  token: number;
  /** Probability under the model's raw distribution, softmax(logits). */
  prob: number;
  logprob: number;
}

/** What the chain reports for one decoding step of one sequence. */
export interface StepResult {
  token: number;
  /** log P(token) under the model's raw distribution, log softmax(logits). */
  logprobRaw: number;
  /** log P(token) under the final sampling distribution (after every stage, renormalised). */
  logprobSampling: number;
  /** The top alternatives under the raw distribution, most probable first. */
  alternatives: TokenAlternative[];
  /** How many tokens the final sampling distribution kept. */
  candidates: number;
}

/**
 * The working set the stages rewrite in place (llama.cpp's llama_token_data_array, with the
 * buffers preallocated once per vocabulary size). Positions [0, size) are live.
 *
 * The working logit of position i is logits[i] × scale. Temperature only changes `scale`, so it
 * costs nothing per token, and `logits` stay exact float32 copies of the model's row (only a
 * repetition penalty rewrites a few of them, rounded to float32 as PyTorch would).
 *
 * Invariants the stages keep:
 * - `identity`: the set is the whole vocabulary in id order (ids[i] === i, size === vocabulary).
 * - `sorted`: positions are in descending logit order, ties with the lower id first.
 * - `max`: the largest live stored logit (before `scale`), or NaN when a stage made it unknown.
 * - `expsValid`: exps[i] === exp((logits[i] - expRef) × scale) for every live position, and
 *   every live logit is ≤ expRef; compacting stages carry exps along, stages that change the
 *   scale or many logits clear the flag, stages that rewrite a few logits patch them (patchExp).
 * - `expSum`: the sum of the live exps (NaN when unknown); `blocksValid`: blockSums match it.
 */
export interface CandidateSet {
  readonly vocabSize: number;
  ids: Int32Array;
  logits: Float32Array;
  /** Multiplies every stored logit: the product of 1 / T over the temperature stages so far. */
  scale: number;
  exps: Float64Array;
  size: number;
  sorted: boolean;
  identity: boolean;
  max: number;
  expsValid: boolean;
  expRef: number;
  expSum: number;
  blocksValid: boolean;
  /** Sums of exps over consecutive blocks of SAMPLE_BLOCK positions, so a draw skips whole blocks. */
  blockSums: Float64Array;
  /** Second buffers for stages that reorder out of place; swapped with the live ones. */
  spareIds: Int32Array;
  spareLogits: Float32Array;
  spareExps: Float64Array;
  /** Vocabulary-sized scratch: positions (heaps, sort orders, lists of tokens). */
  order: Int32Array;
  /** Vocabulary-sized scratch: per-position keys (typical-p's distance from the entropy). */
  keys: Float64Array;
  /** Repetition penalty's "seen in the window" marks; a mark equal to `stamp` is current. */
  marks: Int32Array;
  stamp: number;
  /** Probability mass per bucket for the top-p / typical-p partial selection. */
  bucketMass: Float64Array;
  /** ids[i] === i, copied in to reset `ids` without a loop. */
  readonly identityIds: Int32Array;
}

/** One token as the distribution explorer shows it after a stage. */
export interface TracedToken {
  token: number;
  /** The working logit after the stage (temperature and penalties change it): logits[i] × scale. */
  logit: number;
  /** Probability renormalised over the tokens that survived so far. */
  prob: number;
}

/** What one stage left, for the distribution explorer. */
export interface StageTrace {
  /** "logits" for the raw row, otherwise the stage's label, e.g. "top_k(40)". */
  name: string;
  type: StageType | 'logits';
  /** How many tokens are still candidates after this stage. */
  survivors: number;
  /** The most probable survivors, renormalised, most probable first (ties: lower id first). */
  top: TracedToken[];
}

/**
 * The distribution the final selection draws from: every surviving token, most probable first.
 * For greedy selection (or temperature 0) it is the point mass on the chosen token.
 */
export interface FinalDistribution {
  select: SelectMode;
  tokens: Int32Array;
  probs: Float64Array;
  logprobs: Float64Array;
}

export interface ChainTrace {
  /** The chain's printed order, as describe() gives it. */
  chain: string;
  /** The raw logits first, then one entry per configured stage, in the order applied. */
  stages: StageTrace[];
  final: FinalDistribution;
}
