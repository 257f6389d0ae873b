/** The distribution explorer's public API: one step explained, the temperature sweep, branching. */
export { DEFAULT_SHOWN_TOKENS, explainStep, explainStepWithSpec, rankOf } from './explainStep';
export type { ChosenView, ExplainOptions, ShownToken, StageView, StepExplanation } from './explainStep';
export { temperatureSweep } from './temperatureSweep';
export type { SweepPoint, SweepRange } from './temperatureSweep';
export { explorerSettingsOf, explorerStrategy, samplerSpecOf } from './settings';
export type { ExplorerSettings } from './settings';
export { branchIds, completionLogits, continueFrom, forceFirstToken, stepHistory, stepLogits } from './branch';
export type { BranchResult, CompletionLogits, ContinueOptions } from './branch';
export { entropyOfLogprobs, logprobOf, rowStats, tailMass } from './entropy';
export type { RowStats } from './entropy';
export { explainKnownStep, HISTORY_STAGES, knownTokens, NoDistributionError, unreplayableStages } from './knownStep';
export type { KnownStep, KnownTokens } from './knownStep';
