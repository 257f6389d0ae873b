/**
 * The temperature sweep for one step: the chosen token's probability and the entropy of
 * softmax(logits / T) (AI Engineering, ch. 2) as T goes from 0.1 to 2.0. The probability comes
 * from the chain's own temperature stage at each T, so the curve passes through what sampling at
 * that T uses. The entropy needs every token; one log-space pass gives it without listing the
 * vocabulary in order (a test checks it against the chain's whole distribution).
 */
import { createSamplerChain } from '../sampling/chain';
import { NATS_PER_BIT, rowStats } from './entropy';
import { rankOf } from './explainStep';

export interface SweepRange {
  /** Lowest T (default 0.1; must be > 0: T = 0 is greedy, a point mass). */
  from?: number;
  /** Highest T (default 2.0). */
  to?: number;
  /** Points, evenly spaced, ends included (default 20). */
  steps?: number;
}

export interface SweepPoint {
  temperature: number;
  chosenProb: number;
  chosenLogprob: number;
  entropyNats: number;
  entropyBits: number;
}

export function temperatureSweep(logits: Float32Array, chosenToken: number, range: SweepRange = {}): SweepPoint[] {
  const from = range.from ?? 0.1;
  const to = range.to ?? 2.0;
  const steps = range.steps ?? 20;
  if (!(from > 0) || !(to >= from) || !Number.isFinite(to)) {
    throw new RangeError(`The sweep needs 0 < from ≤ to (got from ${from}, to ${to}).`);
  }
  if (!Number.isInteger(steps) || steps < 1 || steps > 1000) throw new RangeError(`steps must be an integer in [1, 1000] (got ${steps}).`);
  if (!Number.isInteger(chosenToken) || chosenToken < 0 || chosenToken >= logits.length) {
    throw new RangeError(`chosenToken must be a token id in [0, ${logits.length}) (got ${chosenToken}).`);
  }
  // T > 0 keeps the raw order, so the chosen token's place in every tempered distribution is its raw rank.
  const rank = rankOf(logits, chosenToken);
  const points: SweepPoint[] = [];
  for (let i = 0; i < steps; i++) {
    const t = steps === 1 ? from : from + ((to - from) * i) / (steps - 1);
    const chain = createSamplerChain({ stages: [{ type: 'temperature', t }], select: 'sample' }, logits.length);
    const d = chain.distribution(logits, [], rank + 1);
    const at = d.tokens.indexOf(chosenToken);
    const chosenLogprob = at >= 0 ? d.logprobs[at]! : -Infinity;
    const entropyNats = rowStats(logits, 1 / t).entropyNats;
    points.push({ temperature: t, chosenProb: Math.exp(chosenLogprob), chosenLogprob, entropyNats, entropyBits: entropyNats / NATS_PER_BIT });
  }
  return points;
}
