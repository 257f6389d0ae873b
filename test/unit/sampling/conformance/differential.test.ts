/**
 * Differential test: random chains of every stage, in random orders, with random parameters,
 * on random rows (ties, −∞ logits and tiny vocabularies included), against the plain float64
 * reference in ../reference.ts. The kept set must be the same and every probability within 1e-6.
 */
import { strict as assert } from 'node:assert';
import { createSamplerChain } from '../../../../src/core/sampling/chain';
import { createRng, type Rng } from '../../../../src/core/sampling/rng';
import type { StageConfig } from '../../../../src/core/sampling/types';
import { referenceChain } from '../reference';

function randomStage(rng: Rng, type: StageConfig['type'], n: number): StageConfig {
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

const TYPES: StageConfig['type'][] = ['logit_bias', 'repetition_penalty', 'penalties', 'dry', 'temperature', 'top_k', 'top_n_sigma', 'typical_p', 'top_p', 'min_p', 'eta', 'epsilon', 'xtc', 'mirostat_v2'];

function randomRow(rng: Rng, n: number): Float32Array {
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

describe('differential: random chains against a plain float64 reference', () => {
  it('agree on the kept set and every probability (1e-6) over 400 random chains, orders, rows and min_keep', () => {
    const rng = createRng(20261201);
    let compared = 0;
    for (let trial = 0; trial < 400; trial++) {
      const n = [1, 2, 5, 40, 300, 2000][Math.floor(rng.next() * 6)]!;
      const count = 1 + Math.floor(rng.next() * 5);
      const types = [...TYPES].sort(() => rng.next() - 0.5).slice(0, count);
      const stages = types.map((t) => randomStage(rng, t, n));
      const minKeep = rng.next() < 0.2 ? 1 + Math.floor(rng.next() * 4) : 1;
      const row = randomRow(rng, n);
      const history = Array.from({ length: Math.floor(rng.next() * 30) }, () => Math.floor(rng.next() * Math.min(n, 8)));
      const what = `trial ${trial}: n=${n} minKeep=${minKeep} ${JSON.stringify(stages)}`;
      const d = createSamplerChain({ stages, select: 'sample', minKeep }, n).distribution(row, history);
      const ref = referenceChain(stages, row, history, minKeep);
      const refKept = [...ref.entries()].filter(([, p]) => p > 0).map(([t]) => t).sort((a, b) => a - b);
      const ours = Array.from(d.tokens).filter((_, i) => d.probs[i]! > 0).sort((a, b) => a - b);
      assert.deepEqual(ours, refKept, what);
      d.tokens.forEach((t, i) => assert.ok(Math.abs(d.probs[i]! - (ref.get(t) ?? 0)) < 1e-6, `${what}: token ${t} ${d.probs[i]} vs ${ref.get(t)}`));
      compared++;
    }
    assert.equal(compared, 400);
  });
});
