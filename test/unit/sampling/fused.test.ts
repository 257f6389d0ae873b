/**
 * The chain's fused path against the straightforward one. step() shares work between stages: the
 * raw pass's exps feed the first stage that reads probabilities, penalties patch the exps of the
 * few tokens they touch, top-n-σ hands its max to the cut, entropy comes from the stored exps.
 * The straightforward path runs the same stages on a set whose derived values (max, exps, sums)
 * are dropped before every stage and before the draw, takes log P_raw from a plain log-sum-exp and
 * the alternatives from a full sort. Same seeds must give the same tokens, candidates and
 * alternatives, and the same log-probabilities (1e-9).
 */
import { strict as assert } from 'node:assert';
import { bestPosition, createCandidateSet, drawPosition, ensureExps, loadLogits } from '../../../src/core/sampling/candidates';
import { createSamplerChain, createStage } from '../../../src/core/sampling/chain';
import { DEFAULT_ORDER } from '../../../src/core/sampling/registry';
import { createRng, type Rng } from '../../../src/core/sampling/rng';
import type { CandidateSet, SamplerSpec, StageConfig, StepResult } from '../../../src/core/sampling/types';
import { randomRow, randomStage, TYPES } from './randomChains';

/** Drops everything the set derived from its logits: the next reader recomputes it. */
function forgetDerived(c: CandidateSet): void {
  c.max = NaN;
  c.expsValid = false;
  c.expSum = NaN;
  c.blocksValid = false;
}

/** A chain stepped the straightforward way: no value carried from one stage to the next. */
function straightforwardChain(spec: SamplerSpec, vocabSize: number) {
  const c = createCandidateSet(vocabSize);
  const stages = spec.stages.map((s) => createStage(s, vocabSize));
  const minKeep = spec.minKeep ?? 1;
  return (row: Float32Array, history: number[], rng: Rng): StepResult => {
    loadLogits(c, row);
    const ctx = { history, minKeep, rng };
    for (const stage of stages) {
      forgetDerived(c);
      stage.apply(c, ctx);
    }
    forgetDerived(c);
    let pos: number;
    let logprobSampling = 0;
    if (spec.select === 'greedy') pos = bestPosition(c);
    else {
      pos = drawPosition(c, rng.next());
      ensureExps(c);
      logprobSampling = Math.log(c.exps[pos]!) - Math.log(c.expSum);
    }
    const token = c.ids[pos]!;
    for (const stage of stages) stage.accept?.(token, logprobSampling);
    const raw = Array.from(row);
    const max = Math.max(...raw);
    const logZ = max + Math.log(raw.reduce((s, x) => s + Math.exp(x - max), 0));
    // Impossible tokens (−∞) are no alternatives.
    const alternatives = raw
      .map((_, id) => id)
      .filter((id) => raw[id]! > -Infinity)
      .sort((a, b) => raw[b]! - raw[a]! || a - b)
      .slice(0, 5)
      .map((id) => ({ token: id, prob: Math.exp(raw[id]! - logZ), logprob: raw[id]! - logZ }));
    return { token, logprobRaw: raw[token]! - logZ, logprobSampling, alternatives, candidates: spec.select === 'greedy' ? 1 : c.size };
  };
}

const close = (a: number, b: number) => a === b || Math.abs(a - b) < 1e-9;

function assertSameStep(fused: StepResult, plain: StepResult, what: string): void {
  assert.equal(fused.token, plain.token, `${what}: token`);
  assert.equal(fused.candidates, plain.candidates, `${what}: candidates`);
  assert.ok(close(fused.logprobRaw, plain.logprobRaw), `${what}: logprobRaw ${fused.logprobRaw} vs ${plain.logprobRaw}`);
  assert.ok(close(fused.logprobSampling, plain.logprobSampling), `${what}: logprobSampling ${fused.logprobSampling} vs ${plain.logprobSampling}`);
  assert.deepEqual(fused.alternatives.map((a) => a.token), plain.alternatives.map((a) => a.token), `${what}: alternatives`);
  fused.alternatives.forEach((a, i) => assert.ok(close(a.logprob, plain.alternatives[i]!.logprob), `${what}: alternative ${i}`));
}

/** Steps both paths over `steps` rows with the same seed; returns how many steps were compared. */
function compare(spec: SamplerSpec, rows: Float32Array[], history: number[], seed: number, what: string): number {
  const n = rows[0]!.length;
  const fused = createSamplerChain(spec, n);
  const plain = straightforwardChain(spec, n);
  const rngFused = createRng(seed);
  const rngPlain = createRng(seed);
  const context = [...history];
  rows.forEach((row, step) => {
    const a = fused.step(row, context, rngFused);
    const b = plain(row, context, rngPlain);
    assertSameStep(a, b, `${what} step ${step}`);
    context.push(a.token);
  });
  return rows.length;
}

/** A row whose most likely token is among the first 8, the ids the random biases and penalties hit. */
function rowWithTopInReach(rng: Rng, n: number): Float32Array {
  const row = randomRow(rng, n);
  if (n > 8 && rng.next() < 0.5) {
    let best = 0;
    for (let i = 1; i < n; i++) if (row[i]! > row[best]!) best = i;
    const target = Math.floor(rng.next() * 8);
    [row[best], row[target]] = [row[target]!, row[best]!];
  }
  return row;
}

describe('fused chain path against the straightforward path', () => {
  it('every stage in the default order: same tokens, candidates, alternatives and log-probabilities', () => {
    const rng = createRng(20261202);
    let steps = 0;
    for (let trial = 0; trial < 60; trial++) {
      const n = [40, 1500, 5000][trial % 3]!;
      const stages: StageConfig[] = DEFAULT_ORDER.filter((t) => trial % 2 === 0 || t !== 'top_k').map((t) => randomStage(rng, t, n));
      const spec: SamplerSpec = { stages, select: 'sample', minKeep: rng.next() < 0.2 ? 2 : 1 };
      const rows = Array.from({ length: 4 }, () => rowWithTopInReach(rng, n));
      const history = Array.from({ length: 24 }, () => Math.floor(rng.next() * Math.min(n, 8)));
      steps += compare(spec, rows, history, 1000 + trial, `trial ${trial}: n=${n} ${JSON.stringify(spec)}`);
    }
    assert.equal(steps, 240);
  });

  it('a bias or penalty that lifts a token far above the raw max, or bans the max, behind the raw exps', () => {
    // exp(1000 − max) overflows: the patched exps must be recomputed, not patched.
    const rng = createRng(20261204);
    const lifts: StageConfig[][] = [
      [{ type: 'logit_bias', bias: { '5': 1000 } }],
      [{ type: 'logit_bias', bias: { '5': 1000, '6': 999.5 } }, { type: 'temperature', t: 0.7, range: 0.3 }],
      [{ type: 'logit_bias', bias: { '0': false, '1': false, '2': false } }, { type: 'typical_p', p: 0.9 }],
      [{ type: 'repetition_penalty', penalty: 0.001, lastN: 4 }, { type: 'top_p', p: 0.95 }],
      [{ type: 'logit_bias', bias: { '3': 2 } }, { type: 'penalties', presence: -100, frequency: -100, lastN: 3 }, { type: 'xtc', probability: 1, threshold: 0.05 }],
    ];
    let steps = 0;
    lifts.forEach((stages, i) => {
      for (const n of [40, 5000]) {
        const rows = Array.from({ length: 3 }, () => {
          const row = randomRow(rng, n);
          row[0] = 20; // the raw max, which the ban in the third chain removes
          return row;
        });
        steps += compare({ stages, select: 'sample' }, rows, [1, 2, 3, 4], 900 + i, `lift ${i}, n=${n} ${JSON.stringify(stages)}`);
      }
    });
    assert.equal(steps, 30);
  });

  it('random chains in random orders, greedy and sampled: the same results', () => {
    const rng = createRng(20261203);
    let steps = 0;
    for (let trial = 0; trial < 200; trial++) {
      const n = [1, 2, 40, 300, 1500, 5000][Math.floor(rng.next() * 6)]!;
      const types = [...TYPES].sort(() => rng.next() - 0.5).slice(0, 1 + Math.floor(rng.next() * 6));
      const spec: SamplerSpec = {
        stages: types.map((t) => randomStage(rng, t, n)),
        select: rng.next() < 0.15 ? 'greedy' : 'sample',
        minKeep: rng.next() < 0.2 ? 1 + Math.floor(rng.next() * 4) : 1,
      };
      const rows = Array.from({ length: 3 }, () => rowWithTopInReach(rng, n));
      const history = Array.from({ length: Math.floor(rng.next() * 30) }, () => Math.floor(rng.next() * Math.min(n, 8)));
      steps += compare(spec, rows, history, 5000 + trial, `trial ${trial}: n=${n} ${JSON.stringify(spec)}`);
    }
    assert.equal(steps, 600);
  });
});
