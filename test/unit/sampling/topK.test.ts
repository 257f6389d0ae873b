import { strict as assert } from 'node:assert';
import { topK } from '../../../src/core/sampling/topK';
import { randomLogits, rankByValue, setOf, survivors } from './fixtures';

describe('top-k', () => {
  it('top-k keeps the k most likely tokens, most likely first', () => {
    const c = setOf([0.1, 2.5, -1, 1.7, 0.3]);
    topK(c, 3);
    assert.deepEqual(survivors(c), [1, 3, 4]);
    assert.equal(c.sorted, true);
  });

  it('ties at the k-th place go to the lower token id, so exactly k tokens survive', () => {
    const c = setOf([1, 3, 2, 2, 2]);
    topK(c, 2);
    assert.deepEqual(survivors(c), [1, 2]);
    const d = setOf([2, 2, 2, 2]);
    topK(d, 3);
    assert.deepEqual(survivors(d), [0, 1, 2]);
  });

  it('k at least the vocabulary size keeps every token', () => {
    const c = setOf([0.5, 0.2, 0.9]);
    topK(c, 3);
    assert.equal(c.size, 3);
    topK(c, 100);
    assert.equal(c.size, 3);
  });

  it('k = 1 keeps the argmax', () => {
    const c = setOf([0.5, 4, 0.9, 4]);
    topK(c, 1);
    assert.deepEqual(survivors(c), [1]);
  });

  it('on a large vocabulary matches a full sort, ties included, in order', () => {
    for (const [seed, roundTo] of [[1, 0], [2, 0.25], [3, 1]] as const) {
      const logits = randomLogits(30000, seed, 3, roundTo);
      for (const k of [1, 5, 40, 1000]) {
        const c = setOf(logits);
        topK(c, k);
        assert.deepEqual(survivors(c), rankByValue(logits).slice(0, k), `seed ${seed}, k ${k}`);
      }
    }
  });

  it('applied twice keeps the smaller k', () => {
    const logits = randomLogits(500, 9);
    const c = setOf(logits);
    topK(c, 50);
    topK(c, 7);
    assert.deepEqual(survivors(c), rankByValue(logits).slice(0, 7));
  });
});
