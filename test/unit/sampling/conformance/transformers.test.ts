/**
 * Hugging Face transformers' own logits-processor test vectors, ported: huggingface/transformers
 * tests/generation/test_logits_process.py at commit 019af3ac65298aae51038a941c54a038a505bd57
 * (LogitsProcessorTest: test_temperature_dist_warper, test_repetition_penalty_dist_process,
 * test_top_k_dist_warper, test_top_p_dist_warper, test_min_p_dist_warper,
 * test_typical_dist_warper, test_epsilon_dist_warper, test_eta_dist_warper). HF's
 * min_tokens_to_keep is our minKeep. Not ported: repetition penalty's prompt_ignore_length and
 * normalize options and the encoder variants (we have no such options).
 */
import { strict as assert } from 'node:assert';
import { createSamplerChain } from '../../../../src/core/sampling/chain';
import { repetitionPenalty } from '../../../../src/core/sampling/repetitionPenalty';
import type { StageConfig } from '../../../../src/core/sampling/types';
import { randomLogits, setOf, softmax } from '../fixtures';
import { finalProbs, kept, peerCases, rowOf, type PeerCase } from './harness';

const SRC = 'transformers tests/generation/test_logits_process.py';

/** HF's ramp rows: arange(10) - 5, and the same × 100 (extreme logits). */
const ramp = Float32Array.from({ length: 10 }, (_, i) => i - 5);
const ramp100 = Float32Array.from({ length: 10 }, (_, i) => (i - 5) * 100);

/** How many tokens a chain keeps on each row, with HF's min_tokens_to_keep as minKeep. */
const keptCounts = (stages: StageConfig[], rows: Float32Array[], minKeep: number) => rows.map((r) => finalProbs(stages, r, [], { minKeep }).size);

/** HF checks exp(filtered logits) against the input probabilities where kept: compare kept sets. */
const keepsIds = (fn: string, stages: StageConfig[], probs: number[], ids: number[]): PeerCase => ({
  source: `${SRC} ${fn}`,
  name: `${fn}: ${JSON.stringify(stages)} on ${JSON.stringify(probs)} keeps tokens ${JSON.stringify(ids)}`,
  run: () => assert.deepEqual(kept(finalProbs(stages, rowOf(probs))), ids),
});

const cases: PeerCase[] = [
  {
    source: `${SRC} test_temperature_dist_warper`,
    name: 'temperature 0.5 and 1.3: a uniform row stays uniform; 0.5 raises the peak and lowers the valley, 1.3 the reverse',
    run: () => {
      const uniform = new Float32Array(20).fill(1 / 20);
      const peaked = new Float32Array(20).fill(1 / 20);
      peaked[5] = 1 / 20 + 0.1;
      peaked[10] = 1 / 20 - 0.4;
      const before = softmax(Array.from(peaked));
      const at = (t: number, row: Float32Array) => {
        const got = finalProbs([{ type: 'temperature', t }], row);
        return Array.from({ length: 20 }, (_, i) => got.get(i)!);
      };
      for (const t of [0.5, 1.3]) for (const p of at(t, uniform)) assert.ok(Math.abs(p - 1 / 20) < 1e-3);
      const sharp = at(0.5, peaked);
      const smooth = at(1.3, peaked);
      assert.ok(Math.max(...before) < Math.max(...sharp) && Math.min(...before) > Math.min(...sharp));
      assert.ok(Math.max(...before) > Math.max(...smooth) && Math.min(...before) < Math.min(...smooth));
    },
  },
  {
    source: `${SRC} test_repetition_penalty_dist_process`,
    name: 'repetition penalty 2 divides a seen positive logit by 2 and multiplies a seen negative one by 2',
    run: () => {
      const row0 = new Float32Array(10).fill(0.1);
      row0[0] = -0.1;
      const row1 = new Float32Array(10).fill(0.1);
      row1[5] = 0.4;
      const a = setOf(row0);
      repetitionPenalty(a, [0, 1], 2);
      const b = setOf(row1);
      repetitionPenalty(b, [5, 0], 2);
      const close = (x: number, y: number) => assert.ok(Math.abs(x - y) < 1e-7, `${x} vs ${y}`);
      close(a.logits[0]!, -0.2);
      close(a.logits[1]!, 0.05);
      close(b.logits[0]!, 0.05);
      close(b.logits[5]!, 0.2);
      close(a.logits[2]!, 0.1);
    },
  },
  {
    source: `${SRC} test_top_k_dist_warper`,
    name: 'top-k 3 on the ramp keeps 7, 8, 9; on the shifted ramp keeps 2, 3, 4',
    run: () => {
      assert.deepEqual(kept(finalProbs([{ type: 'top_k', k: 3 }], Float32Array.from({ length: 10 }, (_, i) => i))), [7, 8, 9]);
      assert.deepEqual(kept(finalProbs([{ type: 'top_k', k: 3 }], Float32Array.from({ length: 10 }, (_, i) => (i < 5 ? i + 10 : i)))), [2, 3, 4]);
    },
  },
  {
    source: `${SRC} test_top_k_dist_warper (min_tokens_to_keep=3, ramp)`,
    name: 'top-k 1 with min_keep 3 keeps 3 on a ramp',
    run: () => assert.deepEqual(keptCounts([{ type: 'top_k', k: 1 }], [Float32Array.from({ length: 5 }, (_, i) => i)], 3), [3]),
  },
  {
    source: `${SRC} test_top_k_dist_warper (min_tokens_to_keep=3, uniform)`,
    name: 'top-k 1 with min_keep 3 on a uniform row: HF keeps all 5 (ties with the k-th stay); we keep exactly 3, the lowest ids',
    convention: 'top-k-ties',
    run: () => assert.deepEqual(kept(finalProbs([{ type: 'top_k', k: 1 }], new Float32Array(5).fill(0.2), [], { minKeep: 3 })), [0, 1, 2]),
  },
  keepsIds('test_top_p_dist_warper', [{ type: 'top_p', p: 0.8 }], [0.3, 0.1, 0.1, 0.5], [0, 3]),
  keepsIds('test_top_p_dist_warper', [{ type: 'top_p', p: 0.8 }], [0.15, 0.3, 0.3, 0.25], [1, 2, 3]),
  {
    source: `${SRC} test_top_p_dist_warper (min_tokens_to_keep=2)`,
    name: 'top-p 0.9 with min_keep 2 keeps [3, 2] tokens of the ramp and the extreme ramp',
    run: () => assert.deepEqual(keptCounts([{ type: 'top_p', p: 0.9 }], [ramp, ramp100], 2), [3, 2]),
  },
  keepsIds('test_min_p_dist_warper', [{ type: 'min_p', p: 0.05 }], [0.9, 0.0274, 0.047, 0.0274], [0, 2]),
  keepsIds('test_min_p_dist_warper', [{ type: 'min_p', p: 0.05 }], [0.15, 0.3, 0.3, 0.25], [0, 1, 2, 3]),
  keepsIds('test_min_p_dist_warper', [{ type: 'min_p', p: 0.05 }], [0.97, 0.01, 0.01, 0.01], [0]),
  {
    source: `${SRC} test_min_p_dist_warper (min_tokens_to_keep=2)`,
    name: 'min-p 0.9 with min_keep 2 keeps [2, 2]',
    run: () => assert.deepEqual(keptCounts([{ type: 'min_p', p: 0.9 }], [ramp, ramp100], 2), [2, 2]),
  },
  keepsIds('test_typical_dist_warper', [{ type: 'typical_p', p: 0.5 }], [0.97, 0.01, 0.01, 0.01], [0]),
  keepsIds('test_typical_dist_warper', [{ type: 'typical_p', p: 0.5 }], [0.4, 0.2, 0.2, 0.2], [1, 2, 3]),
  {
    source: `${SRC} test_typical_dist_warper (uniform, mass 0.5, min_tokens_to_keep=3)`,
    name: 'typical 0.5 with min_keep 3 on a uniform row: HF keeps all 5 (ties at the cut stay); we keep 3, the lowest ids',
    convention: 'typical-ties',
    run: () => assert.deepEqual(kept(finalProbs([{ type: 'typical_p', p: 0.5 }], new Float32Array(5).fill(0.2), [], { minKeep: 3 })), [0, 1, 2]),
  },
  {
    source: `${SRC} test_typical_dist_warper (min_tokens_to_keep=2)`,
    name: 'typical 0.7 with min_keep 2 keeps [2, 2]',
    run: () => assert.deepEqual(keptCounts([{ type: 'typical_p', p: 0.7 }], [ramp, ramp100], 2), [2, 2]),
  },
  keepsIds('test_epsilon_dist_warper', [{ type: 'epsilon', epsilon: 0.1 }], [0.87, 0.099, 0.001, 0.03], [0]),
  keepsIds('test_epsilon_dist_warper', [{ type: 'epsilon', epsilon: 0.1 }], [0.4, 0.299, 0.101, 0.2], [0, 1, 2, 3]),
  {
    source: `${SRC} test_epsilon_dist_warper (min_tokens_to_keep=2)`,
    name: 'epsilon 5e-2 with min_keep 2 keeps [3, 2]',
    run: () => assert.deepEqual(keptCounts([{ type: 'epsilon', epsilon: 5e-2 }], [ramp, ramp100], 2), [3, 2]),
  },
  keepsIds('test_eta_dist_warper', [{ type: 'eta', eta: 0.0625 }], [0.0, 0.1, 0.8, 0.1], [1, 2, 3]),
  keepsIds('test_eta_dist_warper', [{ type: 'eta', eta: 0.0625 }], [0.01, 0.04, 0.9, 0.05], [2]),
  {
    source: `${SRC} test_eta_dist_warper (min_tokens_to_keep=2)`,
    name: 'eta 0.1 with min_keep 2 keeps [2, 2]',
    run: () => assert.deepEqual(keptCounts([{ type: 'eta', eta: 0.1 }], [ramp, ramp100], 2), [2, 2]),
  },
  {
    source: `${SRC} (every warper: "processor should not change logits in-place")`,
    name: 'no stage writes to the logits row it is given',
    run: () => {
      const row = randomLogits(500, 9);
      const copy = Float32Array.from(row);
      const stages: StageConfig[] = [
        { type: 'repetition_penalty', penalty: 1.3 },
        { type: 'temperature', t: 0.7 },
        { type: 'top_k', k: 100 },
        { type: 'typical_p', p: 0.95 },
        { type: 'top_p', p: 0.9 },
        { type: 'min_p', p: 0.05 },
        { type: 'epsilon', epsilon: 1e-4 },
        { type: 'eta', eta: 1e-3 },
      ];
      createSamplerChain({ stages, select: 'sample' }, 500).distribution(row, [1, 2, 3]);
      assert.deepEqual(row, copy);
    },
  },
];

describe('conformance: transformers tests/generation/test_logits_process.py', () => {
  peerCases(cases);
});
