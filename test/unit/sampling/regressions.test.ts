/**
 * Regression tests for the chain's silent-wrong-token bugs (issue 13): each case gave a wrong
 * token, a NaN or an empty set without an error before the fix.
 */
import { strict as assert } from 'node:assert';
import { strategyFromSettings } from '../../../src/core/decode/strategies';
import { drawPosition, bestPosition, setShrunk } from '../../../src/core/sampling/candidates';
import { createSamplerChain } from '../../../src/core/sampling/chain';
import { EmptyCandidatesError, NaNLogitError, SamplingStepError } from '../../../src/core/sampling/errors';
import { minP } from '../../../src/core/sampling/minP';
import { createRng } from '../../../src/core/sampling/rng';
import { temperature } from '../../../src/core/sampling/temperature';
import { topK } from '../../../src/core/sampling/topK';
import { topP } from '../../../src/core/sampling/topP';
import { typicalP } from '../../../src/core/sampling/typicalP';
import type { SamplerSpec } from '../../../src/core/sampling/types';
import { SamplingConfigError } from '../../../src/core/sampling/validate';
import { logitsOf, randomLogits, setOf, sum } from './fixtures';
import { referenceChain } from './reference';

const sample = (...stages: SamplerSpec['stages']): SamplerSpec => ({ stages, select: 'sample' });

describe('chain regressions (issue 13)', () => {
  describe('a stage that removes the maximum invalidates the cached max', () => {
    it('typical 0.5 then min-p 0.6 on [.4, .2, .2, .2] keeps the three 0.2 tokens at 1/3 each', () => {
      const strategy = strategyFromSettings({ kind: 'custom', temperature: 1, typicalP: 0.5, minP: 0.6 });
      const chain = createSamplerChain(strategy.sampler, 4);
      const row = logitsOf([0.4, 0.2, 0.2, 0.2]);
      const d = chain.distribution(row, []);
      assert.deepEqual(Array.from(d.tokens).sort(), [1, 2, 3]);
      for (const p of d.probs) assert.ok(Math.abs(p - 1 / 3) < 1e-6, `p ${p}`);
      const step = chain.step(row, [], createRng(1));
      assert.equal(step.candidates, 3);
      assert.ok(Math.abs(step.logprobSampling - Math.log(1 / 3)) < 1e-6, `log-prob ${step.logprobSampling}`);
      const trace = chain.trace(row, [], 10);
      assert.equal(trace.stages.find((s) => s.name === 'min_p(0.6)')!.survivors, 3);
    });

    it('typical 0.5 then min-p 0.1 at T = 0.8 matches the float64 reference on 40 random rows of 2,000', () => {
      const spec = sample({ type: 'temperature', t: 0.8 }, { type: 'typical_p', p: 0.5 }, { type: 'min_p', p: 0.1 });
      const chain = createSamplerChain(spec, 2000);
      for (let row = 0; row < 40; row++) {
        const logits = randomLogits(2000, 100 + row, 3);
        const d = chain.distribution(logits, []);
        const ref = referenceChain(spec.stages, logits);
        assert.deepEqual(Array.from(d.tokens).sort((a, b) => a - b), [...ref.keys()].sort((a, b) => a - b), `row ${row}`);
        d.tokens.forEach((t, i) => assert.ok(Math.abs(d.probs[i]! - ref.get(t)!) < 1e-9, `row ${row} token ${t}`));
      }
    });

    it('typical 0.3 then T = 0.001 gives finite probabilities that sum to 1', () => {
      const spec = sample({ type: 'typical_p', p: 0.3 }, { type: 'temperature', t: 0.001 });
      for (const seed of [1, 2, 3]) {
        const logits = randomLogits(500, seed, 3);
        const d = createSamplerChain(spec, 500).distribution(logits, []);
        for (const p of d.probs) assert.ok(Number.isFinite(p), `seed ${seed}: p ${p}`);
        assert.ok(Math.abs(sum(d.probs) - 1) < 1e-9);
        const ref = referenceChain(spec.stages, logits);
        assert.equal(d.tokens[0], [...ref.entries()].sort((a, b) => b[1] - a[1])[0]![0]);
      }
    });

    it('setShrunk drops the cached max, so a later stage measures against the survivors', () => {
      const c = setOf([5, 1, 0]);
      c.max = 5;
      c.ids.copyWithin(0, 1);
      c.logits.copyWithin(0, 1);
      setShrunk(c, 2);
      assert.ok(Number.isNaN(c.max));
      minP(c, 0.5); // p(0) = 0.73 ≥ 0.5 × 0.73 and p(1) = 0.27 < 0.36 over the two survivors
      assert.equal(c.size, 1);
      assert.equal(c.ids[0], 1);
    });
  });

  describe('a NaN logit is an error naming the token (and the step, from the decode loop), never drawn', () => {
    const cases: Array<[string, SamplerSpec, number[], number]> = [
      ['top_k(2)', sample({ type: 'top_k', k: 2 }), [NaN, 1, 2, 3], 0],
      ['top_p(0.9)', sample({ type: 'top_p', p: 0.9 }), [1, 2, NaN, 3], 2],
      ['the draw', sample(), [3, NaN, 1, 2], 1],
      ['greedy', { stages: [], select: 'greedy' }, [3, 1, 2, NaN], 3],
    ];
    for (const [what, spec, row, bad] of cases) {
      it(`${what} on ${JSON.stringify(row.map(String))} throws NaNLogitError for token ${bad}`, () => {
        const chain = createSamplerChain(spec, row.length);
        for (let seed = 0; seed < 5; seed++) {
          assert.throws(
            () => chain.step(Float32Array.from(row), [], createRng(seed)),
            (e: unknown) => e instanceof NaNLogitError && e.message.includes(`token ${bad}'s logit is NaN`),
          );
        }
        assert.throws(() => chain.trace(Float32Array.from(row), []), NaNLogitError);
      });
    }

    it('atStep names the decode step in the message', () => {
      const e = NaNLogitError.forToken(7).atStep(3);
      assert.ok(e instanceof NaNLogitError && e instanceof SamplingStepError);
      assert.equal(e.step, 3);
      assert.match(e.message, /^At step 3: token 7's logit is NaN/);
      assert.match(e.message, /backend/);
    });

    it('loadLogits (setOf) refuses a NaN row too', () => {
      assert.throws(() => setOf([0, NaN]), /token 1's logit is NaN/);
    });
  });

  describe('an empty candidate set is an error', () => {
    it('drawing or taking the best of an empty set throws instead of returning position 0', () => {
      const c = setOf([1, 2, 3]);
      setShrunk(c, 0);
      assert.throws(() => drawPosition(c, 0.5), EmptyCandidatesError);
      assert.throws(() => bestPosition(c), EmptyCandidatesError);
    });
  });

  describe('the exported stage functions check their parameter', () => {
    it('minP(set, 1.5) throws instead of emptying the set', () => {
      const c = setOf([1, 2, 3]);
      assert.throws(() => minP(c, 1.5), (e: unknown) => e instanceof SamplingConfigError && e.parameter === 'min_p' && /in \[0, 1\]/.test(e.message));
      assert.equal(c.size, 3);
    });

    it('topK(set, 0), topP(set, 0), typicalP(set, 2) and temperature(set, -1) throw, naming the parameter', () => {
      assert.throws(() => topK(setOf([1, 2]), 0), /top_k must be an integer ≥ 1/);
      assert.throws(() => topP(setOf([1, 2]), 0), /top_p must be in \(0, 1\]/);
      assert.throws(() => typicalP(setOf([1, 2]), 2), /typical_p must be in \(0, 1\]/);
      assert.throws(() => temperature(setOf([1, 2]), -1), /temperature must be ≥ 0/);
    });
  });
});
