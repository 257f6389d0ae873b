/**
 * Preference pairs from the Compare panel: the record (dataset field names), win rates, a
 * Bradley–Terry fit, the pairwise loss of a scorer, and export. Pure: the file is the Node side's
 * (src/node/preferencesFile.ts).
 */
export { fitBradleyTerry, preferenceProbability, type BradleyTerryFit, type BradleyTerryOptions, type BradleyTerryStrength, type PairwiseOutcome } from './bradleyTerry';
export { csvField, exportFormatOf, exportPreferences, PREFERENCE_COLUMNS, toCsv, toJsonl, type ExportFormat } from './exportPreferences';
export { negLogSigmoid, pairwiseLoss, SCORERS, type PairwiseLoss, type ScorerName } from './pairwiseLoss';
export {
  makePreferenceRecord,
  parsePreferencesJsonl,
  PreferenceError,
  preferenceLine,
  settingsOfStrategy,
  toPreferenceRecord,
  type ComparedCompletion,
  type ParsedPreferences,
  type PreferenceChoice,
  type PreferenceRecord,
} from './record';
export { summarizePreferences, type PreferenceSummary, type StrategyStanding, type SummarizeOptions } from './summarize';
export { outcomesOf, winRates, type Outcomes, type WinRate } from './winRates';
