/** Everything the Preferences view shows, from the records in one call. */
import { fitBradleyTerry, type BradleyTerryFit } from './bradleyTerry';
import { pairwiseLoss, type PairwiseLoss, type ScorerName } from './pairwiseLoss';
import type { PreferenceRecord } from './record';
import { outcomesOf, winRates, type WinRate } from './winRates';

export interface StrategyStanding extends WinRate {
  /** Bradley–Terry log-strength (mean 0 over strategies) and normalised weight. */
  score: number;
  weight: number;
}

export interface PreferenceSummary {
  records: number;
  /** Strongest first (Bradley–Terry), with win rate and the counts behind both. */
  standings: StrategyStanding[];
  bradleyTerry: BradleyTerryFit;
  loss: PairwiseLoss;
  sameStrategy: number;
  unlabelled: number;
}

export interface SummarizeOptions {
  scorer?: ScorerName;
  /** Bradley–Terry prior (virtual games per pair); see fitBradleyTerry. */
  prior?: number;
}

export function summarizePreferences(records: readonly PreferenceRecord[], options: SummarizeOptions = {}): PreferenceSummary {
  const { outcomes, sameStrategy, unlabelled } = outcomesOf(records);
  const fit = fitBradleyTerry(outcomes, { prior: options.prior });
  const rates = new Map(winRates(outcomes).map((w) => [w.strategy, w]));
  const standings = fit.strengths.map((s) => ({ ...rates.get(s.strategy)!, score: s.score, weight: s.weight }));
  return { records: records.length, standings, bradleyTerry: fit, loss: pairwiseLoss(records, options.scorer), sameStrategy, unlabelled };
}
