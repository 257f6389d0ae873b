/**
 * Typical-p (locally typical sampling, Meister et al. 2022, as in Hugging Face's
 * TypicalLogitsWarper): ranks tokens by how close their surprisal -log p is to the entropy H of
 * the distribution, and keeps the smallest set of the closest whose mass reaches p. Ties go to
 * the lower id; the shared bucketed selection avoids sorting the vocabulary.
 */
import { ensureExps, keepPrefixByMass } from './candidates';
import type { CandidateSet } from './types';
import { checkStageParameter } from './validate';

export function typicalP(c: CandidateSet, p: number): void {
  checkStageParameter('typical_p', p);
  if (p >= 1 || c.size <= 1) return;
  ensureExps(c);
  const n = c.size;
  const exps = c.exps;
  const logits = c.logits;
  const scale = c.scale;
  const logSum = Math.log(c.expSum);
  const ref = c.expRef;
  // log p_i = (logit_i - ref) × scale - log Σ exps (or log of the exp, when ref is infinite).
  const keys = c.keys;
  let entropy = 0;
  for (let i = 0; i < n; i++) {
    const e = exps[i];
    const logP = e === 0 ? -Infinity : Number.isFinite(ref) ? (logits[i] - ref) * scale - logSum : Math.log(e) - logSum;
    keys[i] = logP;
    if (e > 0) entropy -= (e / c.expSum) * logP;
  }
  // Higher score = more typical: minus the distance of the surprisal -log p from the entropy.
  let best = -Infinity;
  for (let i = 0; i < n; i++) {
    const key = keys[i] === -Infinity ? -Infinity : -Math.abs(-keys[i] - entropy);
    keys[i] = key;
    if (key > best) best = key;
  }
  keepPrefixByMass(c, keys, best, p);
  c.sorted = false;
}

export function typicalPLabel(p: number): string {
  return `typical_p(${p})`;
}
