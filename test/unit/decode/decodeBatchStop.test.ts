/**
 * Stopping the decode loop (issue 16, item 4): a stop is seen between the rows of a step and
 * before the next forward pass, so a stopped run pays for no further step. A counting fake model
 * with hand-made uniform logits stands in for the network: only the loop's control flow is tested.
 */
import * as assert from 'node:assert/strict';
import { decodeBatch, type SequenceSpec } from '../../../src/core/decode/decodeBatch';
import { strategyFromSettings } from '../../../src/core/decode/strategies';
import type { CausalLM, KvCache } from '../../../src/core/model/types';
import { createSamplerChain } from '../../../src/core/sampling/chain';
import { createRng } from '../../../src/core/sampling/rng';

const VOCAB = 8;

function countingModel(): CausalLM & { forwards: number; selects: number } {
  const cache = (batchSize: number): KvCache => ({ length: 1, batchSize });
  const model = {
    name: 'fake',
    device: 'cpu',
    vocabSize: VOCAB,
    maxContext: 1024,
    eosTokenIds: [] as number[],
    forwards: 0,
    selects: 0,
    encode: (text: string) => [...text].map((c) => c.charCodeAt(0) % VOCAB),
    decode: (ids: readonly number[]) => ids.map((i) => String.fromCharCode(97 + i)).join(''),
    tokenText: (id: number) => String.fromCharCode(97 + id),
    encodePrompt: (text: string) => model.encode(text),
    async forward(ids: number[][]) {
      model.forwards++;
      return { logits: new Float32Array(ids.length * VOCAB), cache: cache(ids.length) };
    },
    async selectRows(_c: KvCache, rows: readonly number[]) {
      model.selects++;
      return cache(rows.length);
    },
    async forwardFull() {
      return new Float32Array(VOCAB);
    },
    disposeCache() {},
    async dispose() {},
  };
  return model;
}

function rows(model: CausalLM, n: number): SequenceSpec[] {
  const strategy = strategyFromSettings({ kind: 'temperature', temperature: 1 });
  return Array.from({ length: n }, (_, i) => ({ chain: createSamplerChain(strategy.sampler, model.vocabSize), rng: createRng(i), tag: { strategy: 0, sample: i } }));
}

describe('stopping the decode loop', () => {
  it('between the rows of a step: the rows not reached keep what they have, and no forward pass follows', async () => {
    const model = countingModel();
    const abort = new AbortController();
    let seen = 0;
    const result = await decodeBatch(model, [1, 2], rows(model, 3), {
      maxNewTokens: 50,
      signal: abort.signal,
      // Stop while the second row of step 3 is being handled.
      onToken: () => {
        if (++seen === 3 * 2 + 2) abort.abort();
      },
    });
    assert.deepEqual(result.sequences.map((s) => s.finishReason), ['aborted', 'aborted', 'aborted']);
    assert.deepEqual(result.sequences.map((s) => s.ids.length), [3, 3, 2], 'row 3 was not sampled after the stop');
    assert.equal(model.forwards, 3, 'the prefill and two steps: none after the stop');
  });

  it('before the forward pass, when the last row of a step stops the run', async () => {
    const model = countingModel();
    const abort = new AbortController();
    let seen = 0;
    const result = await decodeBatch(model, [1], rows(model, 2), {
      maxNewTokens: 50,
      signal: abort.signal,
      onToken: () => {
        if (++seen === 2) abort.abort();
      },
    });
    assert.deepEqual(result.sequences.map((s) => [s.finishReason, s.ids.length]), [
      ['aborted', 1],
      ['aborted', 1],
    ]);
    assert.equal(model.forwards, 1, 'only the prefill');
    assert.equal(model.selects, 0, 'the cache was not fanned out for a step that never runs');
  });

  it('runs to the end when nothing stops it', async () => {
    const model = countingModel();
    const result = await decodeBatch(model, [1], rows(model, 2), { maxNewTokens: 5 });
    assert.deepEqual(result.sequences.map((s) => [s.finishReason, s.ids.length]), [
      ['length', 5],
      ['length', 5],
    ]);
    assert.equal(model.forwards, 5);
  });
});
