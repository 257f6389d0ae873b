/**
 * Differential test: random chains of every stage, in random orders, with random parameters,
 * on random rows (ties, −∞ logits and tiny vocabularies included), against the plain float64
 * reference in ../reference.ts. The kept set must be the same and every probability within 1e-6.
 */
import { strict as assert } from 'node:assert';
import { createSamplerChain } from '../../../../src/core/sampling/chain';
import { createRng } from '../../../../src/core/sampling/rng';
import { randomRow, randomStage, TYPES } from '../randomChains';
import { referenceChain } from '../reference';

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
