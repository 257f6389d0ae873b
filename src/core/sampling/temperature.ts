/**
 * Temperature: P = softmax(logits / T) (AI Engineering, ch. 2). T < 1 sharpens the distribution,
 * T > 1 flattens it, and T = 0 is greedy decoding: only the most likely token survives (ties:
 * the lower id), with no division by zero.
 *
 * The division is not done token by token: the set's `scale` takes the factor 1 / T, and every
 * later use of a logit (exps, thresholds, buckets) multiplies by it. Same distribution, no pass
 * over the vocabulary, and the stored logits keep their float32 precision.
 */
import { bestPosition, keepOnly, logitsChanged } from './candidates';
import type { CandidateSet } from './types';
import { checkStageParameter } from './validate';

/**
 * Bounds on the scale. Past 1e300 every logit gap a float32 row can hold (≥ 1.4e-45) already
 * makes exp((x - max) × scale) exactly 0, so a smaller T changes nothing; below 1e-300 every
 * finite gap already gives exactly 1. The bounds keep the products finite and non-zero.
 */
const MAX_SCALE = 1e300;
const MIN_SCALE = 1e-300;

export function temperature(c: CandidateSet, t: number): void {
  checkStageParameter('temperature', t);
  if (t === 1) return;
  if (t === 0) {
    keepOnly(c, bestPosition(c));
    return;
  }
  c.scale = Math.min(Math.max(c.scale / t, MIN_SCALE), MAX_SCALE);
  logitsChanged(c);
}

export function temperatureLabel(t: number): string {
  return `temperature(${t})`;
}
