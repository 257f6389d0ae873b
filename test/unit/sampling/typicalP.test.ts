import { strict as assert } from 'node:assert';
import { typicalP } from '../../../src/core/sampling/typicalP';
import { logitsOf, randomLogits, setOf, softmax, survivorSet } from './fixtures';

/** Hugging Face's TypicalLogitsWarper, written out plainly (ties: lower id first). */
function referenceTypical(logits: ArrayLike<number>, p: number): number[] {
  const probs = softmax(Array.from(logits));
  const entropy = -probs.reduce((h, q) => (q > 0 ? h + q * Math.log(q) : h), 0);
  const distance = probs.map((q) => (q > 0 ? Math.abs(-Math.log(q) - entropy) : Infinity));
  const order = probs.map((_, t) => t).sort((a, b) => distance[a]! - distance[b]! || a - b);
  const kept: number[] = [];
  let cum = 0;
  for (const t of order) {
    kept.push(t);
    cum += probs[t]!;
    if (cum >= p - 1e-6) break;
  }
  return kept.sort((a, b) => a - b);
}

describe('typical-p', () => {
  it('typical-p keeps the tokens whose surprisal is closest to the entropy until their mass reaches p', () => {
    // H ≈ 1.28 nats; surprisals 0.92, 1.20, 1.61, 2.30, so distances 0.36, 0.08, 0.33, 1.02:
    // token 1 is the most typical, then token 2; together they hold 0.5.
    const logits = logitsOf([0.4, 0.3, 0.2, 0.1]);
    const c = setOf(logits);
    typicalP(c, 0.5);
    assert.deepEqual(survivorSet(c), [1, 2]);
    assert.deepEqual(survivorSet(c), referenceTypical(logits, 0.5));
  });

  it('can drop the most likely token when it is atypically likely', () => {
    // One dominant token and a long flat tail: H ≈ 3.83 nats, the dominant token's surprisal is
    // 1.20 and each tail token's 4.96, so the tail tokens are the typical ones.
    const probs = [0.3, ...new Array<number>(100).fill(0.007)];
    const logits = logitsOf(probs);
    const c = setOf(logits);
    typicalP(c, 0.2);
    assert.ok(!survivorSet(c).includes(0));
    assert.deepEqual(survivorSet(c), referenceTypical(logits, 0.2));
  });

  it('p = 1 keeps every token', () => {
    const c = setOf(logitsOf([0.4, 0.3, 0.2, 0.1]));
    typicalP(c, 1);
    assert.equal(c.size, 4);
  });

  it('on a large vocabulary keeps exactly the set Hugging Face would', () => {
    for (const [seed, scale] of [[1, 3], [2, 1], [3, 6]] as const) {
      const logits = randomLogits(4000, seed, scale);
      for (const p of [0.2, 0.9]) {
        const c = setOf(logits);
        typicalP(c, p);
        assert.deepEqual(survivorSet(c), referenceTypical(logits, p), `seed ${seed}, p ${p}`);
      }
    }
  });
});
