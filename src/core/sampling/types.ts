/**
 * The sampler chain's data types. A chain is data (an ordered list of stage configs), so the
 * order users see is the order that runs, and a test can assert every configured stage ran.
 */

/** One stage of the chain, as the user configures it. Order in the array is the order applied. */
export type StageConfig =
  | { type: 'repetition_penalty'; penalty: number; lastN?: number }
  | { type: 'temperature'; t: number }
  | { type: 'top_k'; k: number }
  | { type: 'top_p'; p: number }
  | { type: 'min_p'; p: number }
  | { type: 'typical_p'; p: number };

export type StageType = StageConfig['type'];

/** How the final token is picked from what the stages left. */
export type SelectMode = 'sample' | 'greedy';

export interface SamplerSpec {
  stages: StageConfig[];
  /** 'greedy' takes the argmax of what is left; 'sample' draws from it with the seeded PRNG. */
  select: SelectMode;
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
