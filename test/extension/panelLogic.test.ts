import * as assert from 'node:assert/strict';
import type { TokenEvent } from '../../src/core/decode/types';
import type { RunRecord } from '../../src/protocol/messages';
import { compactRun } from '../../src/extension/history';
import { chooseBackend } from '../../webview-ui/worker/chooseBackend';
import { TokenBatcher } from '../../src/core/decode/tokenBatcher';
import { probabilityBand } from '../../webview-ui/panel/tokenView';

const gpuWith = (adapter: unknown) => ({ requestAdapter: async () => adapter }) as unknown as GPU;

describe('panel logic', () => {
  describe('backend choice', () => {
    it('takes WebGPU when the browser hands out an adapter', async () => {
      assert.deepEqual(await chooseBackend('auto', gpuWith({})), { backend: 'webgpu' });
      assert.deepEqual(await chooseBackend('webgpu', gpuWith({})), { backend: 'webgpu' });
    });

    it('falls back to WASM with a reason when there is no adapter or no navigator.gpu', async () => {
      const noAdapter = await chooseBackend('auto', gpuWith(null));
      assert.equal(noAdapter.backend, 'wasm');
      assert.match(noAdapter.reason!, /requestAdapter\(\) returned no adapter/);
      const noGpu = await chooseBackend('webgpu', undefined);
      assert.equal(noGpu.backend, 'wasm');
      assert.match(noGpu.reason!, /samplingLab\.device is "webgpu" but .*no navigator\.gpu/);
    });

    it('uses WASM without asking for an adapter when the setting says wasm', async () => {
      const gpu = { requestAdapter: async () => assert.fail('must not ask for an adapter') } as unknown as GPU;
      assert.deepEqual(await chooseBackend('wasm', gpu), { backend: 'wasm', reason: 'samplingLab.device is "wasm"' });
    });
  });

  describe('token batching', () => {
    const event = (step: number): TokenEvent => ({
      strategy: 0,
      sample: 0,
      step,
      token: { token: step, text: 'x', logprobRaw: 0, logprobSampling: 0, candidates: 1, alternatives: [] },
    });

    it('posts the tokens of one interval as one message, not one per token', async () => {
      const posts: TokenEvent[][] = [];
      let posted!: () => void;
      const firstPost = new Promise<void>((resolve) => (posted = resolve));
      const batcher = new TokenBatcher((events) => {
        posts.push(events);
        posted();
      }, { set: (run, ms) => setTimeout(run, ms), clear: (timer) => clearTimeout(timer as NodeJS.Timeout) }, 20);
      for (let i = 0; i < 10; i++) batcher.push(event(i));
      assert.equal(posts.length, 0, 'nothing posted before the interval ends');
      await firstPost;
      assert.equal(posts.length, 1);
      assert.deepEqual(posts[0]!.map((e) => e.step), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('flush posts what is pending at once, and nothing when empty', () => {
      const posts: TokenEvent[][] = [];
      const batcher = new TokenBatcher((events) => posts.push(events), { set: (run, ms) => setTimeout(run, ms), clear: (timer) => clearTimeout(timer as NodeJS.Timeout) }, 10_000);
      batcher.push(event(0));
      batcher.flush();
      batcher.flush();
      assert.equal(posts.length, 1);
      assert.equal(batcher.streamed, 1, 'the count of tokens handed on');
    });
  });

  it('colours tokens by probability band, most likely first', () => {
    assert.deepEqual([0.95, 0.6, 0.3, 0.01].map(probabilityBand), ['p-high', 'p-mid', 'p-low', 'p-rare']);
  });

  it('history keeps every completion but the tokens only of the one shown', () => {
    const completion = (text: string) => ({
      text,
      tokens: [{ token: 1, text, logprobRaw: -1, logprobSampling: -1, candidates: 2, alternatives: [] }],
      seed: 1,
      finishReason: 'eos' as const,
      meanLogprob: -1,
      sumLogprob: -1,
    });
    const run = {
      id: 'r',
      result: {
        results: [{ bestIndex: 1, best: completion('b'), completions: [completion('a'), completion('b'), completion('c')] }],
      },
    } as unknown as RunRecord;
    const kept = compactRun(run).result!.results[0]!.completions;
    assert.deepEqual(kept.map((c) => c.text), ['a', 'b', 'c']);
    assert.deepEqual(kept.map((c) => c.tokens.length), [0, 1, 0]);
  });
});
