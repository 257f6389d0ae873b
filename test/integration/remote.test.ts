/**
 * The remote engine against a test server on 127.0.0.1 that speaks each dialect with the bundled
 * model behind it (test/support/openaiServer.ts): results are checked against the model run here,
 * and every fault a real server or network produces gets a clear message.
 */
import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import { compareStrategies } from '../../src/core/decode/compare';
import { strategyFromSettings } from '../../src/core/decode/strategies';
import type { CausalLM } from '../../src/core/model/types';
import type { DialectId } from '../../src/node/engines/remote/dialects';
import { RemoteEngine, type RemoteEngineOptions } from '../../src/node/engines/remote/remoteEngine';
import { OpenAiTestServer } from '../support/openaiServer';
import { bundledModel, cityQuestion, topLogprobs, world } from '../support/model';

const greedy = strategyFromSettings({ kind: 'greedy' });

describe('remote engine against an OpenAI-compatible test server (bundled model behind it)', function () {
  this.timeout(300_000);
  let model: CausalLM;
  const servers: OpenAiTestServer[] = [];
  const person = world('known')[2]!;
  const prompt = cityQuestion(person.name);

  before(async () => {
    model = await bundledModel();
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  async function serve(dialect: DialectId): Promise<OpenAiTestServer> {
    const server = await new OpenAiTestServer(model, dialect).start();
    servers.push(server);
    return server;
  }

  function engine(server: OpenAiTestServer, extra: Partial<RemoteEngineOptions> = {}): RemoteEngine {
    return new RemoteEngine({ endpoint: server.url, model: server.modelId, dialect: server.dialect, ...extra, http: { retryBaseMs: 1, ...extra.http } });
  }

  for (const dialect of ['openai', 'vllm', 'llamacpp', 'ollama'] as const) {
    it(`${dialect}: greedy through the server equals local greedy, token for token`, async () => {
      const server = await serve(dialect);
      const local = await compareStrategies(model, prompt, [greedy], { maxNewTokens: 12, seed: 42 });
      const remote = await engine(server).compare(prompt, [greedy], { maxNewTokens: 12, seed: 42 });
      const want = local.results[0]!.best;
      const got = remote.results[0]!.best;
      assert.deepEqual(got.tokens.map((t) => t.text), want.tokens.map((t) => t.text));
      assert.equal(got.text, want.text);
      assert.ok(got.text.includes(person.city), got.text);
      got.tokens.forEach((t, i) => assert.ok(Math.abs(t.logprobRaw - want.tokens[i]!.logprobRaw) < 1e-5, `step ${i}`));
      if (dialect === 'llamacpp') assert.deepEqual(got.tokens.map((t) => t.token), want.tokens.map((t) => t.token));
      assert.equal(server.requests.at(-1)!.path, '/v1/completions', 'a raw prompt goes to /v1/completions');
      assert.equal(server.requests.at(-1)!.body.temperature, 0);
      assert.match(remote.sampledBy!, /the server/);
      assert.equal(remote.promptTokens, local.promptTokens, 'prompt tokens from the usage chunk');
    });
  }

  it('top_logprobs equals the local raw distribution\'s top 20 at every step (llama.cpp ids, vLLM chat texts)', async () => {
    for (const [dialect, chat] of [['llamacpp', false], ['vllm', true]] as const) {
      const server = await serve(dialect);
      const remote = await engine(server).compare(prompt, [greedy], { maxNewTokens: 6, seed: 1, topAlternatives: 20, format: chat ? { chat: true } : undefined });
      const local = await compareStrategies(model, prompt, [greedy], { maxNewTokens: 6, seed: 1 });
      assert.equal(server.requests.at(-1)!.path, chat ? '/v1/chat/completions' : '/v1/completions');
      const tokens = remote.results[0]!.best.tokens;
      const ids = model.encodePrompt(prompt);
      const full = await model.forwardFull([...ids, ...local.results[0]!.best.tokens.map((t) => t.token)]);
      assert.equal(tokens.length, local.results[0]!.best.tokens.length);
      tokens.forEach((t, step) => {
        const row = full.subarray((ids.length - 1 + step) * model.vocabSize, (ids.length + step) * model.vocabSize);
        const want = topLogprobs(row, 20);
        assert.equal(t.alternatives.length, 20, `step ${step}`);
        assert.deepEqual(t.alternatives.map((a) => a.text), want.map((w) => model.tokenText(w.id)), `step ${step} (${dialect})`);
        if (dialect === 'llamacpp') assert.deepEqual(t.alternatives.map((a) => a.token), want.map((w) => w.id));
        t.alternatives.forEach((a, i) => assert.ok(Math.abs(a.logprob - want[i]!.logprob) < 1e-4, `step ${step} rank ${i}: ${a.logprob} vs ${want[i]!.logprob}`));
      });
    }
  });

  it('refuses a strategy the server cannot honour on its own card, by name, and sends it nowhere', async () => {
    const server = await serve('openai');
    const minP = strategyFromSettings({ kind: 'min_p', minP: 0.1 });
    const r = await engine(server).compare(prompt, [greedy, minP], { maxNewTokens: 4, seed: 1 });
    assert.deepEqual(r.results.map((x) => x.strategy.name), ['greedy']);
    assert.deepEqual(r.refused, [{ strategy: minP, reason: `min-p: not supported by ${new URL(server.url).host}` }]);
    assert.ok(server.requests.every((q) => q.body.min_p === undefined));
  });

  it('best-of-N asks vLLM for n in one request and picks by mean log-prob; llama.cpp (n = 1) gets N requests', async () => {
    const best = strategyFromSettings({ kind: 'best_of_n', candidates: 4 });
    for (const dialect of ['vllm', 'llamacpp'] as const) {
      const server = await serve(dialect);
      const before = server.requests.length;
      const r = await engine(server).compare(prompt, [best], { maxNewTokens: 6, seed: 3 });
      const posts = server.requests.slice(before).filter((q) => q.method === 'POST');
      assert.deepEqual(posts.map((q) => q.body.n ?? 1), dialect === 'vllm' ? [4] : [1, 1, 1, 1]);
      const result = r.results[0]!;
      assert.equal(result.completions.length, 4);
      const means = result.completions.map((c) => c.meanLogprob);
      assert.equal(result.best.meanLogprob, Math.max(...means));
      assert.ok(means.every(Number.isFinite));
    }
  });

  it('retries a 429, waiting what Retry-After says, then succeeds', async () => {
    const server = await serve('vllm');
    server.faults.push({ kind: 'status', status: 429, retryAfter: '1' });
    const retries: Array<{ status: number; delayMs: number; retryAfter: boolean }> = [];
    const r = await engine(server, { http: { onRetry: (i) => retries.push(i) } }).compare(prompt, [greedy], { maxNewTokens: 4, seed: 1 });
    assert.deepEqual(retries.map((x) => [x.status, x.delayMs, x.retryAfter]), [[429, 1000, true]]);
    assert.ok(r.results[0]!.best.tokens.length > 0);
  });

  it('gives up on a 500 after its retries with a message naming the status and the server\'s words', async () => {
    const server = await serve('vllm');
    server.faults.push({ kind: 'status', status: 500, message: 'CUDA out of memory' }, { kind: 'status', status: 500, message: 'CUDA out of memory' });
    await assert.rejects(engine(server, { http: { maxRetries: 1 } }).compare(prompt, [greedy], { maxNewTokens: 4, seed: 1 }), /answered HTTP 500 after 2 tries: CUDA out of memory/);
  });

  it('says so when the stream is dropped or ends mid-completion, or sends a malformed chunk', async () => {
    const server = await serve('vllm');
    server.faults.push({ kind: 'drop', afterTokens: 1 });
    await assert.rejects(engine(server).compare(prompt, [greedy], { maxNewTokens: 8, seed: 1 }), /connection dropped mid-stream|stream ended before the completion finished/);
    server.faults.push({ kind: 'truncate', afterTokens: 1 });
    await assert.rejects(engine(server).compare(prompt, [greedy], { maxNewTokens: 8, seed: 1 }), /stream ended before the completion finished \(no \[DONE\] after 1 token\)/);
    server.faults.push({ kind: 'malformed', afterTokens: 1 });
    await assert.rejects(engine(server).compare(prompt, [greedy], { maxNewTokens: 8, seed: 1 }), /malformed stream chunk \(not JSON\)/);
  });

  it('times out a server that sends headers but no first byte', async () => {
    const server = await serve('llamacpp');
    let release!: () => void;
    server.faults.push({ kind: 'stall', release: new Promise<void>((r) => (release = r)) });
    try {
      await assert.rejects(engine(server, { http: { firstByteTimeoutMs: 200 } }).compare(prompt, [greedy], { maxNewTokens: 4, seed: 1 }), /no data within 200 ms \(first-byte timeout\)/);
    } finally {
      release();
    }
  });

  it('Stop aborts the request in flight and keeps the tokens that arrived', async () => {
    const server = await serve('vllm');
    const abort = new AbortController();
    let release!: () => void;
    server.faults.push({ kind: 'hold', afterTokens: 1, release: new Promise<void>((r) => (release = r)) });
    const disconnected = once(server.disconnects, 'disconnect');
    const sampler = strategyFromSettings({ kind: 'temperature', temperature: 1 });
    const r = await engine(server).compare(prompt, [sampler], {
      maxNewTokens: 200,
      seed: 1,
      stopStrings: [],
      signal: abort.signal,
      onToken: (e) => {
        if (e.step === 0) abort.abort();
      },
    });
    await disconnected;
    release();
    const best = r.results[0]!.best;
    assert.equal(best.finishReason, 'aborted');
    assert.equal(best.tokens.length, 1, 'the token that arrived is kept');
    assert.equal(best.text, best.tokens.map((t) => t.text).join(''));
  });

  it('sends the API key as a bearer token, and a wrong key gets a 401 message that never shows it', async () => {
    const server = await serve('openai');
    server.apiKey = 'sk-right';
    const ok = await engine(server, { apiKey: 'sk-right' }).compare(prompt, [greedy], { maxNewTokens: 3, seed: 1 });
    assert.ok(ok.results[0]!.best.tokens.length > 0);
    assert.equal(server.requests.at(-1)!.authorization, 'Bearer sk-right');
    const err = await engine(server, { apiKey: 'sk-wrong-secret' }).compare(prompt, [greedy], { maxNewTokens: 3, seed: 1 }).then(() => undefined, (e: Error) => e);
    assert.match(String(err?.message), /HTTP 401: Incorrect API key provided\. Check the API key/);
    assert.doesNotMatch(String(err?.message), /sk-wrong-secret/);
  });

  it('detects the dialect (auto) from /v1/models, and lists the server\'s models', async () => {
    const server = await serve('llamacpp');
    const e = new RemoteEngine({ endpoint: `${server.url}/v1/`, model: server.modelId, dialect: 'auto' });
    assert.equal((await e.resolveDialect()).id, 'llamacpp');
    assert.equal(e.capabilities.maxN, 1);
    assert.equal(e.capabilities.distribution, 'top-logprobs');
    assert.deepEqual(await e.listModels(), ['facts-lm']);
  });

  it('reads events split mid-line with CRLF line ends', async () => {
    const server = await serve('openai');
    server.splitWrites = true;
    const local = await compareStrategies(model, prompt, [greedy], { maxNewTokens: 8, seed: 1 });
    const r = await engine(server).compare(prompt, [greedy], { maxNewTokens: 8, seed: 1 });
    assert.equal(r.results[0]!.best.text, local.results[0]!.best.text);
  });
});
