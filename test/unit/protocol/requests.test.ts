import * as assert from 'node:assert/strict';
import { strategyFromSettings } from '../../../src/core/decode/strategies';
import type { HostToWebview, WebviewToHost } from '../../../src/protocol/messages';
import { REQUEST_REPLIES, requester, type CancelSignal, type RequestReplies } from '../../../src/protocol/requests';
import { validateWebviewToHost, validateWorkerRequest } from '../../../src/protocol/validate';

type Reply = Extract<WebviewToHost, { requestId: string }>;

class Closed extends Error {}
class Cancelled extends Error {}
class Failed extends Error {}

/**
 * Both ends of the host↔worker channel in memory: what the host posts is validated as the worker
 * validates it and recorded; `reply` feeds a worker reply through the host's validator to
 * whoever waits on its requestId. Timers are real (the grace is a few milliseconds).
 */
function channel(options: { failPost?: Error; postDelayMs?: number } = {}) {
  const posted: HostToWebview[] = [];
  const postWaiters: (() => void)[] = [];
  const untilPosted = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => posted.length >= n && resolve();
      postWaiters.push(check);
      check();
    });
  const handlers = new Map<string, (reply: Reply) => void>();
  const closed = new Set<() => void>();
  let ids = 0;
  const request = requester<HostToWebview & { requestId: string }, Reply, RequestReplies>(
    {
      post: async (message) => {
        if (options.failPost) throw options.failPost;
        if (options.postDelayMs) await new Promise((r) => setTimeout(r, options.postDelayMs));
        const checked = validateWorkerRequest(message);
        assert.ok(checked.ok, JSON.stringify(checked));
        posted.push(message);
        for (const w of [...postWaiters]) w();
      },
      onReplies: (requestId, handler) => {
        handlers.set(requestId, handler);
        return { dispose: () => handlers.delete(requestId) };
      },
      onClosed: (listener) => {
        closed.add(listener);
        return { dispose: () => closed.delete(listener) };
      },
      failure: (reply) => (reply.type === 'requestFailed' ? new Failed(`${reply.errorName}: ${reply.error}`) : undefined),
      closedError: () => new Closed('panel closed'),
      newId: (type) => `${type}-${++ids}`,
      cancel: {
        message: (requestId) => ({ type: 'cancel', requestId }),
        error: () => new Cancelled('cancelled'),
        after: (ms, action) => {
          const timer = setTimeout(action, ms);
          return { dispose: () => clearTimeout(timer) };
        },
      },
    },
    REQUEST_REPLIES,
  );
  const reply = (message: Reply) => {
    const checked = validateWebviewToHost(message);
    assert.ok(checked.ok, JSON.stringify(checked));
    handlers.get(message.requestId)?.(message);
  };
  const sent = () => new Promise<void>((resolve) => setImmediate(resolve));
  return { request, posted, untilPosted, reply, sent, pending: () => handlers.size + closed.size, close: () => [...closed].forEach((l) => l()) };
}

function cancelSource(): CancelSignal & { cancel(): void } {
  const listeners: (() => void)[] = [];
  const source = {
    isCancellationRequested: false,
    onCancellationRequested: (listener: () => void) => {
      listeners.push(listener);
      return { dispose: () => listeners.splice(listeners.indexOf(listener), 1) };
    },
    cancel: () => {
      source.isCancellationRequested = true;
      for (const l of [...listeners]) l();
    },
  };
  return source;
}

const result = { prompt: 'p', promptTokens: 1, model: 'm', device: 'wasm', results: [], prefillMs: 1, elapsedMs: 5, tokensPerSecond: 2 };

describe('request(): a request resolves with the reply its protocol names', () => {
  it('posts the request with a new id, passes progress on, and resolves with the final reply', async () => {
    const c = channel();
    const counts: number[] = [];
    const done = c.request({ type: 'unloadModel' });
    const loading = c.request(
      { type: 'loadModel', model: { name: 'm', id: 'm', via: 'fetch', baseUrl: 'https://x/' }, device: 'auto', runtime: { wasmUrl: 'https://x/o.wasm' } },
      { onProgress: (event) => counts.push(event.loaded) },
    );
    await c.sent();
    assert.deepEqual(
      c.posted.map((m) => [m.type, 'requestId' in m && m.requestId]),
      [
        ['unloadModel', 'unloadModel-1'],
        ['loadModel', 'loadModel-2'],
      ],
    );
    c.reply({ type: 'loadProgress', requestId: 'loadModel-2', status: 'progress', file: 'onnx/model.onnx', loaded: 10, total: 20 });
    // Another request's reply is not this one's, and a reply type the request does not name is not progress.
    c.reply({ type: 'modelUnloaded', requestId: 'unloadModel-1' });
    c.reply({ type: 'tokensStreamed', requestId: 'loadModel-2', count: 3 });
    c.reply({ type: 'modelLoaded', requestId: 'loadModel-2', model: 'm', backend: 'wasm', loadMs: 12 });
    const loaded = await loading;
    assert.equal(loaded.backend, 'wasm');
    assert.equal(loaded.loadMs, 12);
    assert.deepEqual(counts, [10]);
    assert.equal((await done).type, 'modelUnloaded');
    assert.equal(c.pending(), 0, 'a settled request keeps no listener');
  });

  it('keeps a request id the caller names (a run is its own request)', async () => {
    const c = channel();
    const options = { maxNewTokens: 1, seed: 1, samples: 1 };
    const compare = c.request({ type: 'compare', requestId: 'run-7', prompt: 'p', strategies: [], options });
    await c.sent();
    c.reply({ type: 'compareDone', requestId: 'run-7', result });
    assert.equal((await compare).result.elapsedMs, 5);
  });

  it('rejects with the failure the other side names, and when the other side closes', async () => {
    const c = channel();
    const failing = c.request({ type: 'compare', prompt: 'p', strategies: [], options: { maxNewTokens: 4, seed: 1, samples: 1 } });
    const orphaned = c.request({ type: 'unloadModel' });
    await c.sent();
    c.reply({ type: 'requestFailed', requestId: 'compare-1', error: 'No model is loaded.', errorName: 'Error' });
    await assert.rejects(failing, (e) => e instanceof Failed && /No model is loaded/.test(e.message));
    c.close();
    await assert.rejects(orphaned, Closed);
    assert.equal(c.pending(), 0);
  });

  it('reports a failed post as the error, not a later one', async () => {
    const c = channel({ failPost: new Error('the panel is gone') });
    await assert.rejects(c.request({ type: 'unloadModel' }), /the panel is gone/);
    assert.equal(c.pending(), 0);
  });

  it('on cancel, tells the other side after the request and takes a final reply that arrives within the grace', async () => {
    const c = channel();
    const token = cancelSource();
    const options = { maxNewTokens: 1, seed: 1, samples: 1 };
    const compare = c.request({ type: 'compare', requestId: 'run-1', prompt: 'p', strategies: [], options }, { token, cancelGraceMs: 10_000 });
    // Cancelled at once: the cancel must still follow the request it cancels.
    token.cancel();
    await c.sent();
    assert.deepEqual(
      c.posted.map((m) => m.type),
      ['compare', 'cancel'],
    );
    c.reply({ type: 'compareDone', requestId: 'run-1', result });
    assert.equal((await compare).type, 'compareDone');
  });

  it('on cancel, gives up after the grace when no final reply comes, and not before', async () => {
    const c = channel();
    const token = cancelSource();
    let settled = false;
    const started = Date.now();
    const unloading = c.request({ type: 'unloadModel' }, { token, cancelGraceMs: 50 });
    void unloading.catch(() => undefined).finally(() => (settled = true));
    await c.sent();
    token.cancel();
    await c.sent();
    assert.equal(settled, false, 'still within the grace');
    await assert.rejects(unloading, Cancelled);
    assert.ok(Date.now() - started >= 45, `gave up after ${Date.now() - started} ms`);
    assert.equal(c.pending(), 0);
  });

  it('still tells the other side to stop when it gives up before the request was even delivered (no grace)', async () => {
    const c = channel({ postDelayMs: 30 });
    const token = cancelSource();
    const unloading = c.request({ type: 'unloadModel' }, { token });
    token.cancel();
    await assert.rejects(unloading, Cancelled);
    assert.equal(c.posted.length, 0, 'given up before the slow post landed');
    await c.untilPosted(2);
    assert.deepEqual(
      c.posted.map((m) => m.type),
      ['unloadModel', 'cancel'],
    );
  });

  it('posts nothing when the token is cancelled before the request', async () => {
    const c = channel();
    const token = cancelSource();
    token.cancel();
    await assert.rejects(c.request({ type: 'unloadModel' }, { token }), Cancelled);
    await c.sent();
    assert.deepEqual(c.posted, []);
  });

  it('names a final reply and the progress replies for every request the worker answers', () => {
    for (const [type, names] of Object.entries(REQUEST_REPLIES)) {
      assert.notEqual(names.done, 'requestFailed', type);
      const progress: readonly string[] = names.progress;
      assert.ok(!progress.includes(names.done), `${type}: its end is not progress`);
    }
    assert.deepEqual(Object.keys(REQUEST_REPLIES).sort(), ['compare', 'loadModel', 'structured', 'unloadModel']);
  });
});
