import { strict as assert } from 'node:assert';
import { topK } from '../../../src/core/sampling/topK';
import { topP } from '../../../src/core/sampling/topP';
import { temperature } from '../../../src/core/sampling/temperature';
import { logitsOf, randomLogits, referenceTopP, setOf, survivorSet } from './fixtures';

describe('top-p', () => {
  it('top-p keeps the smallest set whose mass reaches p', () => {
    // Token probabilities 0.1, 0.4, 0.2, 0.3: the two most likely hold 0.7 ≥ 0.65.
    const c = setOf(logitsOf([0.1, 0.4, 0.2, 0.3]));
    topP(c, 0.65);
    assert.deepEqual(survivorSet(c), [1, 3]);
  });

  it('a mass exactly equal to p counts as reaching it', () => {
    const c = setOf(logitsOf([0.5, 0.3, 0.2]));
    topP(c, 0.8);
    assert.deepEqual(survivorSet(c), [0, 1]);
    const d = setOf(logitsOf([0.5, 0.3, 0.2]));
    topP(d, 0.5);
    assert.deepEqual(survivorSet(d), [0]);
  });

  it('keeps the token whose probability carries the mass past p', () => {
    const c = setOf(logitsOf([0.5, 0.3, 0.2]));
    topP(c, 0.81);
    assert.deepEqual(survivorSet(c), [0, 1, 2]);
  });

  it('p = 1 keeps every token', () => {
    const c = setOf(logitsOf([0.7, 0.2, 0.1, 1e-12]));
    topP(c, 1);
    assert.equal(c.size, 4);
  });

  it('breaks a tie at the cut in favour of the lower token id', () => {
    const c = setOf(logitsOf([0.3, 0.3, 0.4]));
    topP(c, 0.6);
    assert.deepEqual(survivorSet(c), [0, 2]);
  });

  it('measures mass on the distribution the earlier stages left, renormalised', () => {
    // Raw: 0.35 < 0.5, so top-p 0.5 alone keeps two tokens. After top-k 2 the survivors
    // renormalise to 0.538 and 0.462, and the first alone reaches 0.5.
    const alone = setOf(logitsOf([0.35, 0.3, 0.2, 0.15]));
    topP(alone, 0.5);
    assert.deepEqual(survivorSet(alone), [0, 1]);
    const afterTopK = setOf(logitsOf([0.35, 0.3, 0.2, 0.15]));
    topK(afterTopK, 2);
    topP(afterTopK, 0.5);
    assert.deepEqual(survivorSet(afterTopK), [0]);
  });

  it('measures mass after temperature: a higher temperature keeps more tokens', () => {
    const cold = setOf(logitsOf([0.6, 0.25, 0.1, 0.05]));
    topP(cold, 0.8);
    assert.equal(cold.size, 2);
    const hot = setOf(logitsOf([0.6, 0.25, 0.1, 0.05]));
    temperature(hot, 3);
    topP(hot, 0.8);
    assert.equal(hot.size, 3);
  });

  it('keeps the single most likely token for a tiny p', () => {
    const c = setOf(logitsOf([0.2, 0.5, 0.3]));
    topP(c, 1e-9);
    assert.deepEqual(survivorSet(c), [1]);
  });

  it('on large vocabularies (bucketed selection) keeps exactly the set a full sort would', () => {
    const cases = [
      { scale: 4, roundTo: 0 },
      { scale: 1, roundTo: 0 },
      { scale: 3, roundTo: 0.05 }, // many exact ties
      { scale: 0.1, roundTo: 0 }, // nearly flat
    ];
    for (const [i, { scale, roundTo }] of cases.entries()) {
      const logits = randomLogits(6000, 100 + i, scale, roundTo);
      logits[17] = -Infinity;
      for (const p of [0.05, 0.5, 0.9, 0.99]) {
        const c = setOf(logits);
        topP(c, p);
        assert.deepEqual(survivorSet(c), referenceTopP(logits, p), `scale ${scale}, round ${roundTo}, p ${p}`);
      }
    }
  });

  it('on large vocabularies handles logits spread far beyond the buckets', () => {
    const logits = randomLogits(5000, 7, 30);
    for (const p of [0.3, 0.999]) {
      const c = setOf(logits);
      topP(c, p);
      assert.deepEqual(survivorSet(c), referenceTopP(logits, p));
    }
  });
});
