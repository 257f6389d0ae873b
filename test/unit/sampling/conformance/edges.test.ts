/**
 * Edge cases every stage must get right (issue 13): ties at a cut, p → 0, T → 0, −∞ logits,
 * all-equal logits and a vocabulary of one. Expected values are worked out by hand here.
 */
import { strict as assert } from 'node:assert';
import { createSamplerChain } from '../../../../src/core/sampling/chain';
import { createRng } from '../../../../src/core/sampling/rng';
import { DEFAULT_ORDER } from '../../../../src/core/sampling/registry';
import type { StageConfig } from '../../../../src/core/sampling/types';
import { finalProbs, kept } from './harness';

/** One config per stage that does something on a small row. */
const ONE_OF_EACH: Record<StageConfig['type'], StageConfig> = {
  logit_bias: { type: 'logit_bias', bias: { '0': 1 } },
  repetition_penalty: { type: 'repetition_penalty', penalty: 1.5 },
  penalties: { type: 'penalties', presence: 0.5, frequency: 0.5 },
  dry: { type: 'dry', multiplier: 0.8, breakers: [] },
  temperature: { type: 'temperature', t: 0.7 },
  top_k: { type: 'top_k', k: 2 },
  top_n_sigma: { type: 'top_n_sigma', n: 1 },
  typical_p: { type: 'typical_p', p: 0.5 },
  top_p: { type: 'top_p', p: 0.5 },
  min_p: { type: 'min_p', p: 0.5 },
  eta: { type: 'eta', eta: 0.01 },
  epsilon: { type: 'epsilon', epsilon: 0.01 },
  xtc: { type: 'xtc', probability: 1, threshold: 0.1 },
  mirostat_v2: { type: 'mirostat_v2', tau: 5 },
};

describe('sampler edge cases', () => {
  it('ties at a cut go to the lower id: top-k 2, top-p 0.5 and typical 0.5 on four equal logits keep tokens 0 and 1', () => {
    const row = new Float32Array(4).fill(1);
    for (const stage of [ONE_OF_EACH.top_k, ONE_OF_EACH.top_p, ONE_OF_EACH.typical_p]) assert.deepEqual(kept(finalProbs([stage], row)), [0, 1], stage.type);
    // Threshold stages keep every tie: min-p, top-nσ (σ = 0), eta and epsilon keep all four.
    for (const stage of [ONE_OF_EACH.min_p, ONE_OF_EACH.top_n_sigma, ONE_OF_EACH.eta, ONE_OF_EACH.epsilon]) assert.deepEqual(kept(finalProbs([stage], row)), [0, 1, 2, 3], stage.type);
    // top-k 2 on [3, 2, 2, 1]: the tie at the 2nd place goes to token 1.
    assert.deepEqual(kept(finalProbs([ONE_OF_EACH.top_k], Float32Array.from([3, 2, 2, 1]))), [0, 1]);
  });

  it('XTC on all-equal logits above its threshold keeps only the last of them (the highest id)', () => {
    assert.deepEqual(kept(finalProbs([ONE_OF_EACH.xtc], new Float32Array(4).fill(1))), [3]);
  });

  it('p → 0 keeps exactly the most likely token (top-p, typical-p); min-p and epsilon → 0 keep every finite token', () => {
    const row = Float32Array.from([0.5, 2, 1, -Infinity]);
    assert.deepEqual(kept(finalProbs([{ type: 'top_p', p: 1e-12 }], row)), [1]);
    assert.equal(kept(finalProbs([{ type: 'typical_p', p: 1e-12 }], row)).length, 1);
    assert.deepEqual(kept(finalProbs([{ type: 'min_p', p: 1e-12 }], row)), [0, 1, 2]);
    assert.deepEqual(kept(finalProbs([{ type: 'epsilon', epsilon: 1e-12 }], row)), [0, 1, 2]);
  });

  it('T → 0 tends to greedy: T = 1e-6 puts probability 1 on the argmax, finite everywhere, and T = 0 picks it', () => {
    const row = Float32Array.from([1, 3, 2.999, 0]);
    const tiny = finalProbs([{ type: 'temperature', t: 1e-6 }], row);
    assert.ok(Math.abs(tiny.get(1)! - 1) < 1e-12);
    for (const p of tiny.values()) assert.ok(Number.isFinite(p));
    const greedy = createSamplerChain({ stages: [{ type: 'temperature', t: 0 }], select: 'sample' }, 4).step(row, [], createRng(1));
    assert.equal(greedy.token, 1);
    assert.equal(greedy.logprobSampling, 0);
  });

  it('−∞ logits are never drawn, whatever the chain, and a row with one finite logit draws it', () => {
    const row = Float32Array.from([-Infinity, 0, -Infinity, 0.5, -Infinity]);
    for (const type of DEFAULT_ORDER) {
      const chain = createSamplerChain({ stages: [ONE_OF_EACH[type]], select: 'sample' }, row.length);
      const rng = createRng(3);
      for (let i = 0; i < 50; i++) {
        const t = chain.step(row, [1, 3, 1, 3], rng).token;
        assert.ok(t === 1 || t === 3, `${type} drew ${t}`);
      }
    }
    const one = Float32Array.from([-Infinity, -Infinity, 4]);
    assert.equal(createSamplerChain({ stages: [{ type: 'top_p', p: 0.9 }], select: 'sample' }, 3).step(one, [], createRng(1)).token, 2);
  });

  it('a vocabulary of one: every stage keeps the token with probability 1', () => {
    for (const type of DEFAULT_ORDER) {
      const stage = type === 'logit_bias' ? { type, bias: { '0': 2 } } : ONE_OF_EACH[type];
      const got = finalProbs([stage], Float32Array.of(0.3), [0, 0]);
      assert.deepEqual([...got.entries()], [[0, 1]], type);
    }
  });
});
