import { strict as assert } from 'node:assert';
import { minP } from '../../../src/core/sampling/minP';
import { repetitionPenalty } from '../../../src/core/sampling/repetitionPenalty';
import { temperature } from '../../../src/core/sampling/temperature';
import { topK } from '../../../src/core/sampling/topK';
import { logitsOf, randomLogits, setOf, softmax, survivorSet } from './fixtures';

describe('min-p', () => {
  it('min-p keeps the tokens with p ≥ min_p × p_max', () => {
    // p_max = 0.5, min_p = 0.4: the threshold is 0.2.
    const c = setOf(logitsOf([0.5, 0.25, 0.15, 0.1]));
    minP(c, 0.4);
    assert.deepEqual(survivorSet(c), [0, 1]);
  });

  it('keeps a token exactly at the threshold', () => {
    const c = setOf(logitsOf([0.5, 0.25, 0.15, 0.1]));
    minP(c, 0.5);
    assert.deepEqual(survivorSet(c), [0, 1]);
    const d = setOf(logitsOf([0.6, 0.3, 0.1]));
    minP(d, 0.5);
    assert.deepEqual(survivorSet(d), [0, 1]);
  });

  it('min_p = 0 keeps every token; min_p = 1 keeps the most likely and its ties', () => {
    const all = setOf(logitsOf([0.4, 0.4, 0.2]));
    minP(all, 0);
    assert.equal(all.size, 3);
    const top = setOf(logitsOf([0.4, 0.4, 0.2]));
    minP(top, 1);
    assert.deepEqual(survivorSet(top), [0, 1]);
  });

  it('compares against the most likely survivor after temperature', () => {
    // T = 2 takes square roots of the ratios: 0.71, 0.55, 0.45, all ≥ 0.4.
    const c = setOf(logitsOf([0.5, 0.25, 0.15, 0.1]));
    temperature(c, 2);
    minP(c, 0.4);
    assert.equal(c.size, 4);
  });

  it('finds the new maximum after a repetition penalty moved it', () => {
    // Token 0 (logit 2) is penalised to 0.5; token 1 (logit 1) becomes the max.
    const c = setOf([2, 1, 0.2]);
    repetitionPenalty(c, [0], 4);
    minP(c, Math.exp(-0.6));
    assert.deepEqual(survivorSet(c), [0, 1]);
  });

  it('works on a sorted set (after top-k) by cutting the tail', () => {
    const c = setOf(logitsOf([0.05, 0.5, 0.2, 0.25]));
    topK(c, 3);
    minP(c, 0.45);
    assert.deepEqual(survivorSet(c), [1, 3]);
  });

  it('on a large vocabulary keeps exactly the tokens at or above the threshold', () => {
    const logits = randomLogits(20000, 3, 2);
    const probs = softmax(Array.from(logits));
    const pMax = Math.max(...probs);
    for (const p of [0.01, 0.1, 0.5]) {
      const c = setOf(logits);
      minP(c, p);
      const expected = probs.flatMap((q, t) => (q >= p * pMax ? [t] : []));
      assert.deepEqual(survivorSet(c), expected);
    }
  });
});
