/**
 * Top-p (nucleus): keeps the smallest set of most likely tokens whose probability mass reaches p,
 * measured on the distribution the earlier stages left (renormalised). The token that crosses p
 * is kept; a mass within BOUNDARY_TOLERANCE of p counts as reaching it; ties go to the lower id.
 * See keepPrefixByMass for the bucketed partial selection that avoids sorting the vocabulary.
 */
import { ensureMax, keepPrefixByMass } from './candidates';
import type { CandidateSet } from './types';
import { checkStageParameter } from './validate';

export function topP(c: CandidateSet, p: number): void {
  checkStageParameter('top_p', p);
  if (p >= 1 || c.size <= 1) return;
  keepPrefixByMass(c, c.logits, ensureMax(c), p);
}

export function topPLabel(p: number): string {
  return `top_p(${p})`;
}
