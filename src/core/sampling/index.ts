/** The sampler chain's public API: build a chain from a spec, step it, trace it, check specs. */
export type {
  CandidateSet,
  ChainTrace,
  FinalDistribution,
  SamplerSpec,
  SelectMode,
  StageConfig,
  StageTrace,
  StageType,
  StepResult,
  TokenAlternative,
  TracedToken,
} from './types';
export { createRng, sequenceSeed } from './rng';
export type { Rng } from './rng';
export { createSamplerChain, createStage, describeSampler, finalDistribution, traceChain } from './chain';
export type { SamplerChain, Stage } from './chain';
export { SamplingConfigError, STAGE_TYPES, validateSamplerSpec } from './validate';
export { EmptyCandidatesError, NaNLogitError, SamplingStepError } from './errors';
export { BOUNDARY_TOLERANCE, createCandidateSet, loadLogits } from './candidates';
export { repetitionPenalty, DEFAULT_PENALTY_LAST_N } from './repetitionPenalty';
export { temperature } from './temperature';
export { topK } from './topK';
export { topP } from './topP';
export { minP } from './minP';
export { typicalP } from './typicalP';
