/**
 * Random stage configs and logit rows for the randomised sampling tests (the differential test
 * against the float64 reference, and the fused-path test): every stage type, parameters over their
 * useful ranges, rows with ties and −∞ logits.
 */
import type { Rng } from '../../../src/core/sampling/rng';
import type { StageConfig } from '../../../src/core/sampling/types';

export function randomStage(rng: Rng, type: StageConfig['type'], n: number): StageConfig {
  const u = () => rng.next();
  switch (type) {
    case 'logit_bias':
      return { type, bias: { [String(Math.floor(u() * Math.min(n, 8)))]: u() < 0.3 ? false : (u() - 0.5) * 6, [String(Math.floor(u() * Math.min(n, 8)))]: (u() - 0.5) * 4 } };
    case 'repetition_penalty':
      return { type, penalty: 0.5 + u() * 1.5, lastN: Math.floor(u() * 12) };
    case 'penalties':
      return { type, presence: (u() - 0.5) * 2, frequency: (u() - 0.5) * 2, lastN: Math.floor(u() * 12) };
    case 'dry':
      return { type, multiplier: u() * 2, base: 1 + u(), allowedLength: 1 + Math.floor(u() * 3), lastN: u() < 0.5 ? -1 : Math.floor(u() * 20), breakers: [], breakerTokens: [Math.floor(u() * 6)] };
    case 'temperature':
      return u() < 0.3 ? { type, t: 0.3 + u() * 1.5, range: u() * 0.5, exponent: 0.5 + u() } : { type, t: u() < 0.1 ? 0 : 0.2 + u() * 1.8 };
    case 'top_k':
      return { type, k: 1 + Math.floor(u() * 50) };
    case 'top_n_sigma':
      return { type, n: u() * 3 };
    case 'typical_p':
      return { type, p: 0.05 + u() * 0.95 };
    case 'top_p':
      return { type, p: 0.05 + u() * 0.95 };
    case 'min_p':
      return { type, p: u() * 0.5 };
    case 'eta':
      return { type, eta: 0.0001 + u() * 0.05 };
    case 'epsilon':
      return { type, epsilon: 0.0001 + u() * 0.05 };
    case 'xtc':
      return { type, probability: 1, threshold: u() * 0.3 };
    case 'mirostat_v2':
      return { type, tau: 1 + u() * 6, eta: 0.1 };
  }
}

export const TYPES: StageConfig['type'][] = ['logit_bias', 'repetition_penalty', 'penalties', 'dry', 'temperature', 'top_k', 'top_n_sigma', 'typical_p', 'top_p', 'min_p', 'eta', 'epsilon', 'xtc', 'mirostat_v2'];

export function randomRow(rng: Rng, n: number): Float32Array {
  const scale = [0.5, 2, 5][Math.floor(rng.next() * 3)]!;
  const tieStep = rng.next() < 0.3 ? 0.5 : 0;
  const row = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    row[i] = tieStep > 0 ? Math.round((scale * z) / tieStep) * tieStep : scale * z;
    if (rng.next() < 0.05) row[i] = -Infinity;
  }
  if (row.every((x) => x === -Infinity)) row[0] = 0;
  return row;
}
