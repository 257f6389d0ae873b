/**
 * Does the sampler draw from the distribution it claims? With a fixed seed, 20,000 draws through
 * the chain; a chi-square goodness-of-fit test against the target, at α = 0.001.
 */
import { strict as assert } from 'node:assert';
import { createSamplerChain } from '../../../src/core/sampling/chain';
import { createRng } from '../../../src/core/sampling/rng';
import type { SamplerSpec, StageConfig } from '../../../src/core/sampling/types';
import { logitsOf, randomLogits, referenceTopP, softmax } from './fixtures';

const DRAWS = 20000;
/** Chi-square critical values at α = 0.001, by degrees of freedom (standard tables). */
const CRITICAL_0_001: Record<number, number> = { 1: 10.828, 2: 13.816, 3: 16.266, 4: 18.467, 5: 20.515, 6: 22.458, 7: 24.322, 9: 27.877, 19: 43.82 };

const TARGET = [0.3, 0.2, 0.15, 0.1, 0.1, 0.08, 0.05, 0.02];

function counts(spec: SamplerSpec, row: Float32Array, seed: number): number[] {
  const chain = createSamplerChain(spec, row.length);
  const rng = createRng(seed);
  const out = new Array<number>(row.length).fill(0);
  for (let i = 0; i < DRAWS; i++) out[chain.step(row, [], rng, 0).token]!++;
  return out;
}

/** Chi-square statistic over the tokens with non-zero expected probability; none outside. */
function chiSquare(observed: number[], expectedProbs: number[]): { chi2: number; df: number } {
  let chi2 = 0;
  let df = -1;
  observed.forEach((o, t) => {
    const p = expectedProbs[t]!;
    if (p === 0) {
      assert.equal(o, 0, `token ${t} is outside the target distribution but was drawn ${o} times`);
      return;
    }
    const e = p * DRAWS;
    chi2 += (o - e) ** 2 / e;
    df++;
  });
  return { chi2, df };
}

function assertFits(spec: SamplerSpec, row: Float32Array, target: number[], seed = 2024) {
  const { chi2, df } = chiSquare(counts(spec, row, seed), target);
  const critical = CRITICAL_0_001[df];
  assert.ok(critical !== undefined, `no critical value for df ${df}`);
  assert.ok(chi2 < critical, `chi2 ${chi2.toFixed(2)} ≥ ${critical} (df ${df})`);
}

const sample = (...stages: StageConfig[]): SamplerSpec => ({ stages, select: 'sample' });
const renormalised = (probs: number[], keep: (t: number) => boolean) => {
  const z = probs.reduce((s, p, t) => (keep(t) ? s + p : s), 0);
  return probs.map((p, t) => (keep(t) ? p / z : 0));
};

describe('sampling statistics', () => {
  const row = logitsOf(TARGET);

  it('with T = 1 and no truncation, the draws reproduce the target distribution', () => {
    assertFits(sample(), row, TARGET);
    assertFits(sample({ type: 'temperature', t: 1 }), row, TARGET, 7);
  });

  it('with T = 0.7, the draws follow softmax(logits / 0.7)', () => {
    assertFits(sample({ type: 'temperature', t: 0.7 }), row, softmax(TARGET.map((p) => Math.log(p) / 0.7)));
  });

  it('after top-k 4, the draws follow the renormalised top 4 and nothing else', () => {
    assertFits(sample({ type: 'top_k', k: 4 }), row, renormalised(TARGET, (t) => t < 4));
  });

  it('after top-p 0.7, the draws follow the renormalised nucleus (0.3 + 0.2 + 0.15 + 0.1)', () => {
    assertFits(sample({ type: 'top_p', p: 0.7 }), row, renormalised(TARGET, (t) => t < 4));
  });

  it('after min-p 0.3, the draws follow the tokens with p ≥ 0.09, renormalised', () => {
    assertFits(sample({ type: 'min_p', p: 0.3 }), row, renormalised(TARGET, (t) => TARGET[t]! >= 0.09));
  });

  it('on a large vocabulary, top-p 0.5 (bucketed selection) draws from the renormalised nucleus', () => {
    const big = randomLogits(3000, 31, 1);
    const probs = softmax(Array.from(big));
    const nucleus = new Set(referenceTopP(big, 0.5));
    const target = renormalised(probs, (t) => nucleus.has(t));
    const observed = counts(sample({ type: 'top_p', p: 0.5 }), big, 99);
    for (let t = 0; t < big.length; t++) if (!nucleus.has(t)) assert.equal(observed[t], 0, `token ${t} is outside the nucleus`);
    // Group the nucleus into 20 bins of about equal expected mass, so every bin expects ≥ 5.
    const members = [...nucleus].sort((a, b) => a - b);
    const binOf = new Map<number, number>();
    let cum = 0;
    for (const t of members) {
      binOf.set(t, Math.min(19, Math.floor(cum * 20)));
      cum += target[t]!;
    }
    const observedBins = new Array<number>(20).fill(0);
    const expectedBins = new Array<number>(20).fill(0);
    for (const t of members) {
      observedBins[binOf.get(t)!]! += observed[t]!;
      expectedBins[binOf.get(t)!]! += target[t]! * DRAWS;
    }
    const chi2 = observedBins.reduce((s, o, b) => s + (o - expectedBins[b]!) ** 2 / expectedBins[b]!, 0);
    assert.ok(chi2 < CRITICAL_0_001[19]!, `chi2 ${chi2.toFixed(2)} (df 19)`);
  });
});
