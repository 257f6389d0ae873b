/**
 * llama.cpp's own sampler test vectors, ported: ggml-org/llama.cpp tests/test-sampling.cpp at
 * commit 07e4038f07a83cd729bbac700e6681757b313b73 (main(): test_temp, test_top_k, test_top_p,
 * test_min_p, test_typical, test_penalties, test_xtc, test_dry, test_top_n_sigma, test_temp_ext,
 * test_sampler_queue). Each case names its call. test_p_less (a newer sampler) is not ported.
 */
import { strict as assert } from 'node:assert';
import { createSamplerChain } from '../../../../src/core/sampling/chain';
import type { StageConfig } from '../../../../src/core/sampling/types';
import { SamplingConfigError, validateSamplerSpec } from '../../../../src/core/sampling/validate';
import { assertProbs, finalProbs, normalised, peerCases, rowOf, type PeerCase } from './harness';

const SRC = 'llama.cpp tests/test-sampling.cpp';
const P4 = [0.1, 0.2, 0.3, 0.4];

const probsCase = (call: string, stages: StageConfig[], probs: number[], expected: number[], history: number[] = []): PeerCase => ({
  source: `${SRC} ${call}`,
  name: `${call} keeps ${JSON.stringify(expected)}`,
  run: () => assertProbs(finalProbs(stages, rowOf(probs), history), expected),
});

/** A parameter llama.cpp accepts as "off" or clamps, and we refuse with a message naming it. */
const refused = (call: string, stage: StageConfig, id: string, fallback: { stages: StageConfig[]; expected: number[] }): PeerCase => ({
  source: `${SRC} ${call}`,
  name: `${call}: refused with a named range; ${JSON.stringify(fallback.stages)} gives llama.cpp's ${JSON.stringify(fallback.expected)}`,
  convention: id,
  run: () => {
    assert.throws(() => validateSamplerSpec({ stages: [stage], select: 'sample' }), SamplingConfigError);
    assertProbs(finalProbs(fallback.stages, rowOf(P4)), fallback.expected);
  },
});

const cases: PeerCase[] = [
  probsCase('test_temp(T=1)', [{ type: 'temperature', t: 1 }], P4, P4),
  probsCase('test_temp(T=0)', [{ type: 'temperature', t: 0 }], P4, [0, 0, 0, 1]),
  probsCase('test_top_k(k=1)', [{ type: 'top_k', k: 1 }], P4, [1]),
  probsCase('test_top_k(k=3)', [{ type: 'top_k', k: 3 }], P4, [0.44444, 0.33333, 0.22222]),
  probsCase('test_top_k(k=4)', [{ type: 'top_k', k: 4 }], P4, [0.4, 0.3, 0.2, 0.1]),
  refused('test_top_k(k=0)', { type: 'top_k', k: 0 }, 'top-k-0', { stages: [], expected: P4 }),
  refused('test_top_p(p=0)', { type: 'top_p', p: 0 }, 'top-p-0', { stages: [{ type: 'top_p', p: 1e-9 }], expected: [1] }),
  probsCase('test_top_p(p=0.7)', [{ type: 'top_p', p: 0.7 }], P4, [0.571429, 0.428571]),
  probsCase('test_top_p(p=0.8)', [{ type: 'top_p', p: 0.8 }], P4, [0.44444, 0.33333, 0.22222]),
  probsCase('test_top_p(p=1)', [{ type: 'top_p', p: 1 }], P4, P4),
  ...(
    [
      [0.0, [0.1, 0.2, 0.3, 0.4]],
      [0.24, [0.1, 0.2, 0.3, 0.4]],
      [0.26, [0.2 / 0.9, 0.3 / 0.9, 0.4 / 0.9]],
      [0.49, [0.2 / 0.9, 0.3 / 0.9, 0.4 / 0.9]],
      [0.51, [0.3 / 0.7, 0.4 / 0.7]],
      [0.74, [0.3 / 0.7, 0.4 / 0.7]],
      [0.76, [1]],
      [1.0, [1]],
    ] as Array<[number, number[]]>
  ).map(([p, expected]) => probsCase(`test_min_p(p=${p})`, [{ type: 'min_p', p }], P4, expected)),
  refused('test_min_p(p=1.05)', { type: 'min_p', p: 1.05 }, 'min-p-above-1', { stages: [{ type: 'min_p', p: 1 }], expected: [1] }),
  // test_typical checks p without a dist sampler: the expected values are unnormalised.
  probsCase('test_typical(p=0.5, [0.97, 0.01 ×3])', [{ type: 'typical_p', p: 0.5 }], [0.97, 0.01, 0.01, 0.01], normalised([0.97])),
  probsCase('test_typical(p=0.5, [0.4, 0.2 ×3])', [{ type: 'typical_p', p: 0.5 }], [0.4, 0.2, 0.2, 0.2], normalised([0.2, 0.2, 0.2])),
  // test_penalties(repeat 50, frequency 0, presence 0): penalty_last_n = the history's length.
  probsCase('test_penalties(50; last {0})', [{ type: 'repetition_penalty', penalty: 50, lastN: 1 }], [0.2, 0.2, 0.2, 0.2, 0.2], [0, 0.25, 0.25, 0.25, 0.25], [0]),
  probsCase('test_penalties(50; last {0, 1, 2})', [{ type: 'repetition_penalty', penalty: 50, lastN: 3 }], [0.2, 0.2, 0.2, 0.2, 0.2], [0, 0, 0, 0.5, 0.5], [0, 1, 2]),
  probsCase('test_penalties(50; last {0, 1, 2, 0, 0})', [{ type: 'repetition_penalty', penalty: 50, lastN: 5 }], [0.2, 0.2, 0.2, 0.2, 0.2], [0, 0, 0, 0.5, 0.5], [0, 1, 2, 0, 0]),
  // test_temp_ext(temp, delta = 0, exponent = 1): with no range it is plain temperature.
  probsCase('test_temp_ext(T=1, delta=0, exp=1)', [{ type: 'temperature', t: 1, range: 0, exponent: 1 }], P4, P4),
  probsCase('test_temp_ext(T=0, delta=0, exp=1)', [{ type: 'temperature', t: 0, range: 0, exponent: 1 }], P4, [0, 0, 0, 1]),
  // test_xtc checks p without a dist sampler; the seed-0 coin fires at probability 0.99.
  ...(
    [
      [0.09, [0.1]],
      [0.19, [0.2, 0.1]],
      [0.29, [0.3, 0.2, 0.1]],
      [0.39, [0.4, 0.3, 0.2, 0.1]],
    ] as Array<[number, number[]]>
  ).map(([t, expected]) => probsCase(`test_xtc(p=0.99, t=${t})`, [{ type: 'xtc', probability: 1, threshold: t }], [0.4, 0.3, 0.2, 0.1], normalised(expected))),
  // test_penalties(repeat 1, frequency 5, presence 5).
  probsCase('test_penalties(1, 5, 5; last {0})', [{ type: 'penalties', frequency: 5, presence: 5, lastN: 1 }], [0.2, 0.2, 0.2, 0.2, 0.2], [0.000011, 0.249997, 0.249997, 0.249997, 0.249997], [0]),
  probsCase('test_penalties(1, 5, 5; last {0, 1, 2})', [{ type: 'penalties', frequency: 5, presence: 5, lastN: 3 }], [0.2, 0.2, 0.2, 0.2, 0.2], [0.000023, 0.000023, 0.000023, 0.499966, 0.499966], [0, 1, 2]),
  probsCase('test_penalties(1, 5, 5; last {0, 1, 2, 0, 0})', [{ type: 'penalties', frequency: 5, presence: 5, lastN: 5 }], [0.2, 0.2, 0.2, 0.2, 0.2], [0, 0.000023, 0.000023, 0.499977, 0.499977], [0, 1, 2, 0, 0]),
  // test_dry(probs, last, expected, multiplier, base, allowed_length, penalty_last_n, breakers as token ids).
  probsCase('test_dry(1, 1.1, 2, 4; last {0, 1})', [{ type: 'dry', multiplier: 1, base: 1.1, allowedLength: 2, lastN: 4, breakers: [] }], [0.25, 0.25, 0.25, 0.25], [0.25, 0.25, 0.25, 0.25], [0, 1]),
  probsCase('test_dry(1, 1.1, 2, 5; last {0, 1, 2, 0, 1})', [{ type: 'dry', multiplier: 1, base: 1.1, allowedLength: 2, lastN: 5, breakers: [] }], [0.25, 0.25, 0.25, 0.25], [0.296923, 0.296923, 0.109232, 0.296923], [0, 1, 2, 0, 1]),
  probsCase('test_dry(1, 1.1, 2, 6, breakers {{3}}; last {0, 1, 3, 4, 0, 1})', [{ type: 'dry', multiplier: 1, base: 1.1, allowedLength: 2, lastN: 6, breakers: [], breakerTokens: [3] }], [0.2, 0.2, 0.2, 0.2, 0.2], [0.2, 0.2, 0.2, 0.2, 0.2], [0, 1, 3, 4, 0, 1]),
  probsCase('test_dry(2, 1.1, 2, 5; last {0, 1, 2, 0, 1})', [{ type: 'dry', multiplier: 2, base: 1.1, allowedLength: 2, lastN: 5, breakers: [] }], [0.2, 0.2, 0.2, 0.2, 0.2], [0.241818, 0.241818, 0.032727, 0.241818, 0.241818], [0, 1, 2, 0, 1]),
  probsCase('test_dry(1, 1.1, 4, 7; last {0, 1, 2, 3, 4, 0, 1})', [{ type: 'dry', multiplier: 1, base: 1.1, allowedLength: 4, lastN: 7, breakers: [] }], [0.2, 0.2, 0.2, 0.2, 0.2], [0.2, 0.2, 0.2, 0.2, 0.2], [0, 1, 2, 3, 4, 0, 1]),
  probsCase('test_top_n_sigma(n=1)', [{ type: 'top_n_sigma', n: 1 }], P4, [0, 0, 0.428571, 0.571429]),
  probsCase('test_top_n_sigma(n=0): a no-op since llama.cpp PR #13345', [{ type: 'top_n_sigma', n: 0 }], P4, P4),
  probsCase('test_top_n_sigma(n=3)', [{ type: 'top_n_sigma', n: 3 }], P4, P4),
];

/**
 * test_sampler_queue: vocabulary n with logit_i = logf(i) (token 0 at -inf), samplers applied in
 * the given order, and the size after each checked with the peer's own formulas (float32 where
 * the peer computes in float).
 */
function samplerQueue(nVocab: number, sequence: string, topK: number, topP: number, minP: number): PeerCase {
  const call = `test_sampler_queue(${nVocab}, "${sequence}", ${topK}, ${topP}, ${minP})`;
  const f = Math.fround;
  const refusedP = sequence.includes('p') && topP === 0;
  return {
    source: `${SRC} ${call}`,
    name: refusedP ? `${call}: top_p 0 is refused; p = 1e-9 keeps the peer's one token` : `${call} keeps the peer's sizes after each stage`,
    convention: refusedP ? 'top-p-0' : undefined,
    run: () => {
      const row = Float32Array.from({ length: nVocab }, (_, i) => Math.log(i));
      let minTokenId = 0;
      const maxTokenId = nVocab - 1;
      const stages: StageConfig[] = [];
      for (const s of sequence) {
        if (s === 'k') stages.push({ type: 'top_k', k: topK });
        if (s === 'p') stages.push({ type: 'top_p', p: topP === 0 ? 1e-9 : topP });
        if (s === 'm') stages.push({ type: 'min_p', p: minP });
        const trace = createSamplerChain({ stages: [...stages], select: 'sample' }, nVocab).trace(row, [], 1);
        const size = trace.stages[trace.stages.length - 1]!.survivors;
        const top = trace.stages[trace.stages.length - 1]!.top[0]!.token;
        let expected: number;
        if (s === 'k') {
          expected = Math.min(size, topK);
          minTokenId = Math.max(minTokenId, nVocab - topK);
        } else if (s === 'p') {
          const divisor = (nVocab * (nVocab - 1)) / 2 - (minTokenId * (minTokenId - 1)) / 2;
          const target = Math.ceil(f(f(topP) * divisor));
          minTokenId = nVocab;
          expected = 0;
          let cumsum = 0;
          do {
            minTokenId--;
            expected++;
            cumsum += minTokenId;
          } while (cumsum < target);
          if (minTokenId === 1) {
            minTokenId--;
            expected++;
          }
        } else {
          expected = Math.ceil(f(f(1 - f(minP)) * nVocab));
          expected = Math.max(expected, 1);
          expected = Math.min(expected, size);
          minTokenId = Math.floor(f(f(minP) * nVocab));
          minTokenId = Math.max(minTokenId, 1);
          minTokenId = Math.max(minTokenId, nVocab - size);
          minTokenId = Math.min(minTokenId, nVocab - 1);
        }
        assert.equal(size, expected, `after ${s}`);
        assert.equal(top, maxTokenId);
      }
    },
  };
}

const queue: Array<[string, number, number, number]> = [
  ['k', 10000, 1.0, 1.0],
  ['k', 1, 1.0, 1.0],
  ['p', 10000, 1.0, 1.0],
  ['p', 10000, 0.0, 1.0],
  ['m', 10000, 1.0, 1.0],
  ['m', 10000, 1.0, 1e-12],
  ['k', 100, 1.0, 1.0],
  ['p', 10000, 0.0003, 1.0],
  ['p', 10000, 0.8, 1.0],
  ['m', 10000, 1.0, 9997.9 / 9999.0],
  ['m', 10000, 1.0, 0.1],
  ['kp', 100, 0.8, 0.1],
  ['km', 100, 0.8, 0.1],
  ['pk', 100, 0.8, 0.1],
  ['pm', 100, 0.8, 0.1],
  ['mk', 100, 0.8, 0.1],
  ['mp', 100, 0.8, 9997.9 / 9999.0],
  ['mp', 100, 0.8, 0.1],
  ['kpm', 100, 0.8, 0.1],
  ['kmp', 100, 0.8, 0.1],
  ['pkm', 100, 0.8, 0.1],
  ['pmk', 100, 0.8, 0.1],
  ['mkp', 100, 0.8, 0.1],
  ['mpk', 100, 0.8, 0.1],
];

describe('conformance: llama.cpp tests/test-sampling.cpp', () => {
  peerCases(cases);
  peerCases(queue.map(([seq, k, p, m]) => samplerQueue(10000, seq, k, p, m)));
});
