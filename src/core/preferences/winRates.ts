/** Win rates per strategy: of the comparisons a strategy was in, the share it won. */
import type { PairwiseOutcome } from './bradleyTerry';
import type { PreferenceRecord } from './record';

export interface WinRate {
  strategy: string;
  wins: number;
  losses: number;
  comparisons: number;
  /** wins / comparisons. */
  winRate: number;
}

export interface Outcomes {
  /** Pairs between two different strategies: what win rates and Bradley–Terry count. */
  outcomes: PairwiseOutcome[];
  /** Pairs of two samples of the same strategy: they rank samples, not strategies. */
  sameStrategy: number;
  /** Records without strategy names (e.g. from another dataset). */
  unlabelled: number;
}

export function outcomesOf(records: readonly PreferenceRecord[]): Outcomes {
  const outcomes: PairwiseOutcome[] = [];
  let sameStrategy = 0;
  let unlabelled = 0;
  for (const r of records) {
    if (!r.chosen_strategy || !r.rejected_strategy) unlabelled++;
    else if (r.chosen_strategy === r.rejected_strategy) sameStrategy++;
    else outcomes.push({ winner: r.chosen_strategy, loser: r.rejected_strategy });
  }
  return { outcomes, sameStrategy, unlabelled };
}

/** Highest win rate first; ties go to the strategy with more comparisons, then by name. */
export function winRates(outcomes: readonly PairwiseOutcome[]): WinRate[] {
  const tally = new Map<string, { wins: number; losses: number }>();
  const of = (name: string) => tally.get(name) ?? tally.set(name, { wins: 0, losses: 0 }).get(name)!;
  for (const o of outcomes) {
    if (o.winner === o.loser) continue;
    of(o.winner).wins++;
    of(o.loser).losses++;
  }
  return [...tally]
    .map(([strategy, { wins, losses }]) => ({ strategy, wins, losses, comparisons: wins + losses, winRate: wins / (wins + losses) }))
    .sort((a, b) => b.winRate - a.winRate || b.comparisons - a.comparisons || a.strategy.localeCompare(b.strategy));
}
