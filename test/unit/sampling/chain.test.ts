import { strict as assert } from 'node:assert';
import { createSamplerChain, describeSampler, finalDistribution, traceChain } from '../../../src/core/sampling/chain';
import { createRng } from '../../../src/core/sampling/rng';
import type { SamplerSpec, StageConfig } from '../../../src/core/sampling/types';
import { logitsOf, randomLogits, sum } from './fixtures';

const sample = (...stages: StageConfig[]): SamplerSpec => ({ stages, select: 'sample' });

/** log_softmax the textbook way, in double precision. */
function logSoftmax(row: ArrayLike<number>): number[] {
  const xs = Array.from(row);
  const m = Math.max(...xs);
  const lse = m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
  return xs.map((x) => x - lse);
}

describe('sampler chain', () => {
  const everyStage = sample(
    { type: 'repetition_penalty', penalty: 1.5, lastN: 8 },
    { type: 'top_k', k: 6 },
    { type: 'typical_p', p: 0.99 },
    { type: 'top_p', p: 0.9 },
    { type: 'min_p', p: 0.05 },
    { type: 'temperature', t: 0.7 },
  );

  it('describe() prints the configured order, like llama.cpp', () => {
    const spec = sample({ type: 'repetition_penalty', penalty: 1.1 }, { type: 'top_k', k: 40 }, { type: 'temperature', t: 0.8 });
    assert.equal(createSamplerChain(spec, 10).describe(), 'logits -> repetition_penalty(1.1) -> top_k(40) -> temperature(0.8) -> dist');
    assert.equal(describeSampler({ stages: [{ type: 'temperature', t: 0.8 }, { type: 'top_k', k: 40 }], select: 'sample' }), 'logits -> temperature(0.8) -> top_k(40) -> dist');
    assert.equal(describeSampler({ stages: [], select: 'greedy' }), 'logits -> greedy');
    assert.equal(describeSampler(sample({ type: 'repetition_penalty', penalty: 1.3, lastN: 16 })), 'logits -> repetition_penalty(1.3, last_n=16) -> dist');
    assert.equal(createSamplerChain(everyStage, 10).name, createSamplerChain(everyStage, 10).describe());
  });

  it('runs every configured stage, in the configured order (seen through the trace)', () => {
    // Token 0 is the most likely but was just generated: the penalty must demote it.
    const row = Float32Array.from([3, 2.9, 2.5, 2, 1.5, 1, 0, -1, -2, -3]);
    const trace = traceChain(everyStage, row, [0], 10);
    assert.deepEqual(
      trace.stages.map((s) => s.name),
      ['logits', 'repetition_penalty(1.5, last_n=8)', 'top_k(6)', 'typical_p(0.99)', 'top_p(0.9)', 'min_p(0.05)', 'temperature(0.7)'],
    );
    const [raw, penalty, k, typical, p, min, temp] = trace.stages;
    assert.equal(raw!.survivors, 10);
    assert.equal(raw!.top[0]!.token, 0);
    assert.equal(penalty!.top.find((t) => t.token === 0)!.logit, 2); // 3 / 1.5
    assert.equal(penalty!.top[0]!.token, 1);
    assert.equal(k!.survivors, 6);
    assert.ok(typical!.survivors <= 6);
    assert.ok(p!.survivors < typical!.survivors);
    assert.ok(min!.survivors <= p!.survivors);
    assert.equal(temp!.survivors, min!.survivors);
    assert.ok(temp!.top[0]!.prob > min!.top[0]!.prob, 'temperature 0.7 sharpens the distribution');
    assert.equal(trace.final.tokens.length, temp!.survivors);
    assert.ok(Math.abs(sum(trace.final.probs) - 1) < 1e-12);
  });

  it('step() never writes to the logits row', () => {
    const row = randomLogits(3000, 1);
    const copy = Float32Array.from(row);
    const chain = createSamplerChain(everyStage, row.length);
    const rng = createRng(1);
    for (let i = 0; i < 5; i++) chain.step(row, [1, 2, 3, 4], rng);
    chain.trace(row, [1, 2], 5);
    chain.distribution(row, [1]);
    assert.deepEqual(row, copy);
  });

  it('logprobRaw is log_softmax of the raw logits, whatever the stages did', () => {
    const row = randomLogits(2000, 2);
    const expected = logSoftmax(row);
    const chain = createSamplerChain(everyStage, row.length);
    const rng = createRng(3);
    for (let i = 0; i < 20; i++) {
      const r = chain.step(row, [5, 6], rng);
      assert.ok(Math.abs(r.logprobRaw - expected[r.token]!) < 1e-9);
    }
  });

  it('alternatives are the most probable raw tokens with prob and logprob, ties to the lower id', () => {
    const row = Float32Array.from([1, 3, 2, 3, 0.5, 2]);
    const r = createSamplerChain(sample({ type: 'top_k', k: 1 }), row.length).step(row, [], createRng(1), 4);
    const lsm = logSoftmax(row);
    assert.deepEqual(r.alternatives.map((a) => a.token), [1, 3, 2, 5]);
    for (const a of r.alternatives) {
      assert.ok(Math.abs(a.logprob - lsm[a.token]!) < 1e-12);
      assert.ok(Math.abs(a.prob - Math.exp(lsm[a.token]!)) < 1e-12);
    }
    assert.equal(createSamplerChain(sample(), row.length).step(row, [], createRng(1), 0).alternatives.length, 0);
    assert.equal(createSamplerChain(sample(), row.length).step(row, [], createRng(1), 20).alternatives.length, 6);
  });

  it('the final distribution sums to 1 after any truncation', () => {
    const row = randomLogits(5000, 4, 2);
    const specs: SamplerSpec[] = [
      sample(),
      sample({ type: 'temperature', t: 0.8 }),
      sample({ type: 'top_k', k: 40 }),
      sample({ type: 'top_p', p: 0.9 }),
      sample({ type: 'temperature', t: 0.6 }, { type: 'min_p', p: 0.05 }),
      sample({ type: 'typical_p', p: 0.5 }),
      everyStage,
    ];
    for (const spec of specs) {
      const d = finalDistribution(spec, row, [1, 2, 3]);
      assert.ok(Math.abs(sum(d.probs) - 1) < 1e-12, describeSampler(spec));
      for (let i = 1; i < d.probs.length; i++) assert.ok(d.probs[i - 1]! >= d.probs[i]!, 'most probable first');
    }
  });

  it("step's logprobSampling and candidates equal the explorer's final distribution", () => {
    const row = randomLogits(5000, 5, 3);
    for (const spec of [sample({ type: 'temperature', t: 0.8 }, { type: 'top_p', p: 0.9 }), everyStage, sample()]) {
      const chain = createSamplerChain(spec, row.length);
      const d = chain.distribution(row, [7, 8]);
      const index = new Map(Array.from(d.tokens, (t, i) => [t, i]));
      const rng = createRng(11);
      for (let i = 0; i < 20; i++) {
        const r = chain.step(row, [7, 8], rng);
        const at = index.get(r.token);
        assert.ok(at !== undefined, 'the sampled token is in the final distribution');
        assert.equal(r.logprobSampling, d.logprobs[at]);
        assert.equal(r.candidates, d.tokens.length);
      }
      const traced = chain.trace(row, [7, 8], 3);
      assert.deepEqual(Array.from(traced.final.probs), Array.from(d.probs.subarray(0, 3)));
    }
  });

  it('greedy takes the argmax of what the stages left, with probability 1', () => {
    const row = Float32Array.from([3, 2.9, 1]);
    const plain = createSamplerChain({ stages: [], select: 'greedy' }, 3).step(row, [0], createRng(1));
    assert.deepEqual([plain.token, plain.logprobSampling, plain.candidates], [0, 0, 1]);
    const penalised = createSamplerChain({ stages: [{ type: 'repetition_penalty', penalty: 2 }], select: 'greedy' }, 3);
    assert.equal(penalised.step(row, [0], createRng(1)).token, 1);
    const d = penalised.distribution(row, [0]);
    assert.deepEqual([Array.from(d.tokens), Array.from(d.probs)], [[1], [1]]);
  });

  it('temperature 0 in a sampling chain is greedy', () => {
    const row = randomLogits(1000, 6);
    const argmax = row.indexOf(Math.max(...row));
    const chain = createSamplerChain(sample({ type: 'temperature', t: 0 }), row.length);
    const rng = createRng(2);
    for (let i = 0; i < 5; i++) {
      const r = chain.step(row, [], rng);
      assert.deepEqual([r.token, r.logprobSampling, r.candidates], [argmax, 0, 1]);
    }
  });

  it('the same seed gives the same tokens; another seed another sequence', () => {
    const row = randomLogits(4000, 7, 1);
    const chain = createSamplerChain(sample({ type: 'temperature', t: 1.2 }, { type: 'top_p', p: 0.95 }), row.length);
    const draw = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 30 }, () => chain.step(row, [], rng).token);
    };
    assert.deepEqual(draw(42), draw(42));
    assert.notDeepEqual(draw(42), draw(43));
  });

  it('chains sharing one vocabulary size do not disturb each other', () => {
    const row = randomLogits(3000, 8, 2);
    const specA = sample({ type: 'temperature', t: 0.7 }, { type: 'top_p', p: 0.8 });
    const specB = sample({ type: 'repetition_penalty', penalty: 1.3 }, { type: 'min_p', p: 0.02 });
    const alone = (spec: SamplerSpec) => {
      const chain = createSamplerChain(spec, row.length);
      const rng = createRng(5);
      return Array.from({ length: 10 }, (_, i) => chain.step(row, [i], rng));
    };
    const expectedA = alone(specA);
    const expectedB = alone(specB);
    const a = createSamplerChain(specA, row.length);
    const b = createSamplerChain(specB, row.length);
    const rngA = createRng(5);
    const rngB = createRng(5);
    for (let i = 0; i < 10; i++) {
      assert.deepEqual(a.step(row, [i], rngA), expectedA[i]);
      assert.deepEqual(b.step(row, [i], rngB), expectedB[i]);
    }
  });

  it('reusing the raw exps gives the same distribution as computing them afresh', () => {
    const row = randomLogits(6000, 9, 2);
    const direct = finalDistribution(sample({ type: 'top_p', p: 0.9 }), row, []);
    // A penalty that finds nothing to penalise still makes the chain recompute the exps.
    const afresh = finalDistribution(sample({ type: 'repetition_penalty', penalty: 1.2 }, { type: 'top_p', p: 0.9 }), row, []);
    assert.deepEqual(Array.from(direct.tokens), Array.from(afresh.tokens));
    direct.probs.forEach((p, i) => assert.ok(Math.abs(p - afresh.probs[i]!) < 1e-14));
  });

  it('two temperatures compose: T = 2 then T = 0.4 is T = 0.8', () => {
    const row = randomLogits(6000, 10, 2);
    const once = finalDistribution(sample({ type: 'temperature', t: 0.8 }, { type: 'top_p', p: 0.9 }), row, []);
    const twice = finalDistribution(
      sample({ type: 'temperature', t: 2 }, { type: 'temperature', t: 0.4 }, { type: 'top_p', p: 0.9 }),
      row,
      [],
    );
    assert.deepEqual(Array.from(once.tokens), Array.from(twice.tokens));
    once.probs.forEach((p, i) => assert.ok(Math.abs(p - twice.probs[i]!) < 1e-12));
  });

  it('never samples a token whose logit is -Infinity', () => {
    const row = Float32Array.from([0, -Infinity, 0, -Infinity]);
    const chain = createSamplerChain(sample(), 4);
    const rng = createRng(1);
    for (let i = 0; i < 200; i++) assert.ok([0, 2].includes(chain.step(row, [], rng).token));
    const r = chain.step(row, [], rng);
    assert.ok(Math.abs(r.logprobRaw - Math.log(0.5)) < 1e-12);
  });

  it('a +Infinity logit takes all the mass, through every stage', () => {
    const row = randomLogits(3000, 12, 2);
    row[5] = Infinity;
    for (const spec of [sample(), sample({ type: 'temperature', t: 0.7 }, { type: 'top_p', p: 0.9 }), everyStage]) {
      const r = createSamplerChain(spec, row.length).step(row, [], createRng(1), 2);
      assert.deepEqual([r.token, r.logprobRaw, r.logprobSampling], [5, 0, 0], describeSampler(spec));
      assert.deepEqual(r.alternatives[0], { token: 5, prob: 1, logprob: 0 });
      assert.equal(r.alternatives[1]!.prob, 0);
    }
  });

  it('samples the small hand-made distribution it was given', () => {
    const row = logitsOf([0.5, 0.5]);
    const chain = createSamplerChain(sample(), 2);
    const rng = createRng(3);
    const r = chain.step(row, [], rng);
    assert.ok(Math.abs(r.logprobSampling - Math.log(0.5)) < 1e-7);
    assert.equal(r.candidates, 2);
  });

  it('rejects a logits row of the wrong length', () => {
    const chain = createSamplerChain(sample(), 5);
    assert.throws(() => chain.step(new Float32Array(4), [], createRng(1)), /4 entries.*vocabulary of 5/);
  });
});
