/**
 * Temperature: P = softmax(logits / T) (AI Engineering, ch. 2). T < 1 sharpens the distribution,
 * T > 1 flattens it, and T = 0 is greedy decoding: only the most likely token survives (ties:
 * the lower id), with no division by zero. With a range r > 0 it is dynamic temperature
 * (llama.cpp temp_ext, PR #4972; "entropy-based dynamic temperature", Zhu et al. 2023): T moves
 * within [max(0, T − r), T + r] with the normalised entropy of the set raised to `exponent`.
 *
 * The division is not done token by token: the set's `scale` takes the factor 1 / T, and every
 * later use of a logit (exps, thresholds, buckets) multiplies by it. Same distribution, no pass
 * over the vocabulary, and the stored logits keep their float32 precision.
 */
import { bestPosition, candidateEntropy, keepOnly, logitsChanged } from './candidates';
import { checkParam } from './checkParam';
import { defineStage, show } from './stage';
import type { CandidateSet } from './types';


/**
 * Bounds on the scale. Past 1e300 every logit gap a float32 row can hold (≥ 1.4e-45) already
 * makes exp((x - max) × scale) exactly 0, so a smaller T changes nothing; below 1e-300 every
 * finite gap already gives exactly 1. The bounds keep the products finite and non-zero.
 */
const MAX_SCALE = 1e300;
const MIN_SCALE = 1e-300;

export function temperature(c: CandidateSet, t: number): void {
  checkParam(temperatureStage, 't', t);
  if (t === 1) return;
  if (t === 0) {
    keepOnly(c, bestPosition(c));
    return;
  }
  c.scale = Math.min(Math.max(c.scale / t, MIN_SCALE), MAX_SCALE);
  logitsChanged(c);
}

/**
 * llama.cpp's temp_ext: H / log(n) is the entropy of the live set over its maximum, and
 * T = T_min + (T_max − T_min) × (H / log n)^exponent. A set of one token is left alone.
 */
export function dynamicTemperature(c: CandidateSet, t: number, range: number, exponent: number): number {
  if (c.size <= 1) return t;
  const entropy = candidateEntropy(c);
  const minT = Math.max(0, t - range);
  const maxT = t + range;
  const normalised = entropy / Math.log(c.size);
  return minT + (maxT - minT) * Math.pow(normalised, exponent);
}

export function temperatureLabel(t: number, range = 0, exponent = 1): string {
  if (range <= 0) return `temperature(${show(t)})`;
  return `temperature(${show(t)} ± ${show(range)}${exponent === 1 ? '' : `, exp ${show(exponent)}`})`;
}

export const temperatureStage = defineStage<'temperature'>({
  type: 'temperature',
  aliases: ['temp', 't', 'dynatemp', 'temp_ext'],
  title: 'Temperature',
  summary: 'Divides the logits by T (T = 0: greedy); with a range, dynamic temperature from the entropy (llama.cpp temp_ext).',
  params: [
    { kind: 'number', field: 't', setting: 'temperature', flag: '--temperature', help: 'T for the sampling strategies (≥ 0; 0 is greedy)', enables: true, min: 0, max: Infinity, default: 1, hint: 'Use 0 for greedy decoding.', control: { min: 0, max: 2, step: 0.05 } },
    { kind: 'number', field: 'range', setting: 'dynatempRange', flag: '--dynatemp-range', help: 'dynamic temperature: T moves within T ± range with the entropy (≥ 0; 0 is off)', min: 0, max: Infinity, default: 0, control: { min: 0, max: 2, step: 0.05 } },
    { kind: 'number', field: 'exponent', setting: 'dynatempExponent', flag: '--dynatemp-exp', help: 'dynamic temperature: exponent on the normalised entropy (> 0)', min: 0, minOpen: true, max: Infinity, default: 1, control: { min: 0.1, max: 4, step: 0.1 } },
  ],
  label: (s) => temperatureLabel(s.t, s.range, s.exponent),
  isNoOp: (s) => s.t === 1 && !(s.range! > 0),
  keepsTop: true,
  readsProbabilities: (s) => s.range! > 0,
  create: (s) => {
    const range = s.range ?? 0;
    const exponent = s.exponent ?? 1;
    return { apply: (c) => temperature(c, range > 0 ? dynamicTemperature(c, s.t, range, exponent) : s.t) };
  },
});
