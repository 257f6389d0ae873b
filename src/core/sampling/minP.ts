/**
 * Min-p: keeps the tokens with p ≥ min_p × p_max. In logit space that is
 * logit ≥ max_logit + ln(min_p), so one threshold pass decides it: no exp, no sort. (With the
 * set's scale s, the stored logit must reach max + ln(min_p) / s.) A token within
 * BOUNDARY_TOLERANCE (relative) of the threshold is kept.
 */
import { BOUNDARY_TOLERANCE, ensureMax, setShrunk } from './candidates';
import type { CandidateSet } from './types';
import { checkStageParameter } from './validate';

export function minP(c: CandidateSet, p: number): void {
  checkStageParameter('min_p', p);
  if (p <= 0) return;
  const threshold = ensureMax(c) + (Math.log(p) + Math.log1p(-BOUNDARY_TOLERANCE)) / c.scale;
  // The max itself always passes, so at least one token survives (unless the logits are NaN).
  if (Number.isNaN(threshold)) return;
  const n = c.size;
  const logits = c.logits;
  if (c.sorted) {
    let keep = n;
    for (let i = 0; i < n; i++) {
      if (!(logits[i] >= threshold)) {
        keep = i;
        break;
      }
    }
    setShrunk(c, keep);
    return;
  }
  const ids = c.ids;
  const exps = c.exps;
  const withExps = c.expsValid;
  // Branch-free compaction: every position is written at `kept`, which advances only for a
  // keeper; a branch would be mispredicted every other time when about half the tokens survive.
  let kept = 0;
  if (withExps) {
    for (let i = 0; i < n; i++) {
      const x = logits[i];
      ids[kept] = ids[i];
      logits[kept] = x;
      exps[kept] = exps[i];
      kept += +(x >= threshold);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const x = logits[i];
      ids[kept] = ids[i];
      logits[kept] = x;
      kept += +(x >= threshold);
    }
  }
  setShrunk(c, kept);
}

export function minPLabel(p: number): string {
  return `min_p(${p})`;
}
