/**
 * How well a scorer agrees with the user: the reward-model loss −log σ(s_w − s_l) over the pairs,
 * where s is the scorer's score of the chosen (w) and rejected (l) completion. ln 2 ≈ 0.693 is a
 * scorer that cannot tell the two apart; lower is better. The default scorer is the mean token
 * log-prob, best-of-N's own score (AI Engineering, ch. 2), so the view shows whether "the model
 * is confident" matches "the user prefers it".
 */
import type { PreferenceRecord } from './record';

export type ScorerName = 'mean_logprob' | 'sum_logprob';

export const SCORERS: Record<ScorerName, { label: string; score: (r: PreferenceRecord, side: 'chosen' | 'rejected') => number | null | undefined }> = {
  mean_logprob: { label: 'mean log-prob', score: (r, side) => r[`${side}_mean_logprob`] },
  sum_logprob: { label: 'sum log-prob', score: (r, side) => r[`${side}_sum_logprob`] },
};

export interface PairwiseLoss {
  scorer: ScorerName;
  /** Pairs both of whose completions have a finite score. */
  pairs: number;
  /** Pairs left out for want of a score. */
  skipped: number;
  /** Mean of −log σ(s_w − s_l); NaN when no pair has scores. */
  meanLoss: number;
  /** Share of pairs the scorer ranks as the user did (s_w > s_l); a tie counts half. */
  agreement: number;
}

/** −log σ(x), computed without overflow for large |x|: softplus(−x). */
export function negLogSigmoid(x: number): number {
  return Math.max(-x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

export function pairwiseLoss(records: readonly PreferenceRecord[], scorer: ScorerName = 'mean_logprob'): PairwiseLoss {
  const score = SCORERS[scorer].score;
  let pairs = 0;
  let loss = 0;
  let agree = 0;
  for (const r of records) {
    const w = score(r, 'chosen');
    const l = score(r, 'rejected');
    if (typeof w !== 'number' || typeof l !== 'number' || !Number.isFinite(w) || !Number.isFinite(l)) continue;
    pairs++;
    loss += negLogSigmoid(w - l);
    agree += w > l ? 1 : w === l ? 0.5 : 0;
  }
  return {
    scorer,
    pairs,
    skipped: records.length - pairs,
    meanLoss: pairs > 0 ? loss / pairs : NaN,
    agreement: pairs > 0 ? agree / pairs : NaN,
  };
}
