/**
 * Strategies to request parameters per dialect, refusals by name, and reading both log-prob
 * shapes from real-shaped responses. Fixtures: OpenAI's API reference (openai/openai-openapi:
 * the chat.completion.chunk logprobs example, the legacy text_completion logprobs object), llama.cpp
 * server's probs_to_json (tools/server/server.cpp: id, token, bytes, logprob, top_logprobs), vLLM's
 * extra sampling parameters (docs, OpenAI-Compatible Server).
 */
import * as assert from 'node:assert/strict';
import { strategyFromSettings } from '../../../src/core/decode/strategies';
import { DIALECTS, detectDialect, isInsecureRemote, normalizeBaseUrl, serverLabel } from '../../../src/node/engines/remote/dialects';
import { retryAfterMs, serverMessage } from '../../../src/node/engines/remote/http';
import { RemoteEngine } from '../../../src/node/engines/remote/remoteEngine';
import { applyChoice, jsonSchemaRefusal, requestBody, samplingParams, tokensOf, type ChoiceState } from '../../../src/node/engines/remote/wire';

const openaiLabel = serverLabel(DIALECTS.openai, normalizeBaseUrl('https://api.openai.com/v1'));

function params(settings: Record<string, unknown>, dialect: keyof typeof DIALECTS, label = 'server') {
  return samplingParams(strategyFromSettings(settings), DIALECTS[dialect], label, DIALECTS[dialect].maxTopLogprobs.chat > 0);
}

describe('remote engine: strategies as request parameters', () => {
  it('sends greedy as temperature 0 to every dialect', () => {
    for (const d of Object.keys(DIALECTS) as Array<keyof typeof DIALECTS>) assert.deepEqual(params({ kind: 'greedy' }, d), { ok: true, params: { temperature: 0 } });
  });

  it('sends top-p with its temperature to OpenAI, and top-k / min-p under vLLM and llama.cpp names', () => {
    assert.deepEqual(params({ kind: 'top_p', topP: 0.9 }, 'openai'), { ok: true, params: { temperature: 1, top_p: 0.9 } });
    assert.deepEqual(params({ kind: 'min_p', minP: 0.1 }, 'vllm'), { ok: true, params: { temperature: 1, min_p: 0.1 } });
    assert.deepEqual(params({ kind: 'custom', temperature: 0.7, topK: 40, typicalP: 0.95, repetitionPenalty: 1.1 }, 'llamacpp'), {
      ok: true,
      params: { temperature: 0.7, top_k: 40, typical_p: 0.95, repeat_penalty: 1.1 },
    });
    assert.deepEqual(params({ kind: 'custom', temperature: 0.7, repetitionPenalty: 1.1 }, 'vllm'), { ok: true, params: { temperature: 0.7, repetition_penalty: 1.1 } });
  });

  it('refuses what a server cannot honour by name, never dropping it', () => {
    assert.deepEqual(params({ kind: 'min_p', minP: 0.1 }, 'openai', openaiLabel), { ok: false, reason: 'min-p: not supported by api.openai.com' });
    assert.deepEqual(params({ kind: 'top_k', topK: 40 }, 'ollama', 'Ollama at 127.0.0.1:11434'), { ok: false, reason: 'top-k: not supported by Ollama at 127.0.0.1:11434' });
    assert.deepEqual(params({ kind: 'custom', temperature: 1, typicalP: 0.9 }, 'vllm', 'vLLM'), { ok: false, reason: 'typical-p: not supported by vLLM' });
    const many = params({ kind: 'custom', temperature: 1, dryMultiplier: 0.8, xtcProbability: 0.5, minKeep: 3 }, 'vllm', 'vLLM');
    assert.equal(many.ok, false);
    assert.match((many as { reason: string }).reason, /dry: not supported by vLLM; xtc: not supported by vLLM; min-keep: not supported by vLLM/);
  });

  it('refuses values outside OpenAI\'s ranges and best-of-N without log-probs', () => {
    assert.deepEqual(params({ kind: 'temperature', temperature: 3 }, 'openai', openaiLabel), { ok: false, reason: 'temperature 3: api.openai.com takes 0 … 2' });
    assert.deepEqual(params({ kind: 'best_of_n', candidates: 4 }, 'lmstudio', 'LM Studio'), { ok: false, reason: 'best-of-N: needs log-probs, which LM Studio does not return' });
  });

  it('builds a streamed completions body with logprobs as a count, and a chat body with top_logprobs', () => {
    const shape = { model: 'm', prompt: 'Q: hi\nA:', n: 2, seed: 7, maxTokens: 8, stop: ['\n'], topLogprobs: 5, params: { temperature: 1 } };
    assert.deepEqual(requestBody({ ...shape, route: 'completions' }, DIALECTS.vllm), {
      model: 'm', prompt: 'Q: hi\nA:', temperature: 1, n: 2, seed: 7, max_tokens: 8, stop: ['\n'], logprobs: 5, stream: true, stream_options: { include_usage: true },
    });
    const chat = requestBody({ ...shape, route: 'chat', system: 'Be brief.' }, DIALECTS.openai);
    assert.deepEqual(chat.messages, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Q: hi\nA:' }]);
    assert.equal(chat.logprobs, true);
    assert.equal(chat.top_logprobs, 5);
    assert.equal(chat.prompt, undefined);
  });
});

describe('remote engine: reading responses', () => {
  it('reads OpenAI\'s chat chunk logprobs (content entries with top_logprobs)', () => {
    // openai-openapi, ChatCompletionStreamResponse with logprobs.
    const chunk = { id: 'chatcmpl-123', object: 'chat.completion.chunk', created: 1694268190, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: 'Hello' }, logprobs: { content: [{ token: 'Hello', logprob: -0.31725305, bytes: [72, 101, 108, 108, 111], top_logprobs: [{ token: 'Hello', logprob: -0.31725305, bytes: [72, 101, 108, 108, 111] }, { token: 'Hi', logprob: -1.3190403, bytes: [72, 105] }] }] }, finish_reason: null }] };
    const state: ChoiceState = { text: '', tokens: [] };
    const added = applyChoice(state, chunk.choices[0]!);
    assert.equal(state.text, 'Hello');
    assert.equal(added.length, 1);
    assert.equal(added[0]!.logprobRaw, -0.31725305);
    assert.deepEqual(added[0]!.alternatives.map((a) => a.text), ['Hello', 'Hi']);
    assert.ok(Math.abs(added[0]!.alternatives[1]!.prob - Math.exp(-1.3190403)) < 1e-12);
    assert.equal(state.finishReason, undefined);
  });

  it('reads the legacy completions logprobs object (vLLM, OpenAI /v1/completions), sorting its top_logprobs map', () => {
    const tokens = tokensOf({ tokens: [' Paris', '.'], token_logprobs: [-0.01, -0.2], top_logprobs: [{ ' Lyon': -5.1, ' Paris': -0.01 }, { '.': -0.2 }], text_offset: [27, 33] });
    assert.deepEqual(tokens.map((t) => t.text), [' Paris', '.']);
    assert.deepEqual(tokens[0]!.alternatives.map((a) => a.text), [' Paris', ' Lyon']);
  });

  it('keeps llama.cpp server\'s token ids', () => {
    const [t] = tokensOf({ content: [{ id: 791, token: ' Paris', bytes: [32, 80, 97, 114, 105, 115], logprob: -0.01, top_logprobs: [{ id: 791, token: ' Paris', bytes: [], logprob: -0.01 }, { id: 12, token: ' Rome', bytes: [], logprob: -4.6 }] }] });
    assert.equal(t!.token, 791);
    assert.deepEqual(t!.alternatives.map((a) => a.token), [791, 12]);
  });

  it('shows a token holding part of a character by its bytes, as llama.cpp (text cut short) and OpenAI ("bytes:\\x..") send it', () => {
    // 😀 is F0 9F 98 80. llama.cpp's completion_token_output::to_json cuts `token` at the last whole
    // character (validate_utf8) and sends all the piece's `bytes` (tools/server); OpenAI writes such
    // a token as "bytes:\\xNN"; other servers send "�".
    const [llama, openai, whole] = tokensOf({
      content: [
        { id: 9, token: ' ', bytes: [0x20, 0xf0, 0x9f], logprob: -0.5, top_logprobs: [{ id: 9, token: ' ', bytes: [0x20, 0xf0, 0x9f], logprob: -0.5 }, { id: 4, token: ' Hi', bytes: [32, 72, 105], logprob: -2 }] },
        { token: 'bytes:\\x98\\x80', bytes: [0x98, 0x80], logprob: -0.1, top_logprobs: [] },
        { token: '\uFFFD', bytes: [0xef, 0xbf, 0xbd], logprob: -3, top_logprobs: [] },
      ],
    });
    assert.equal(llama!.text, ' <0xF0><0x9F>');
    assert.deepEqual(llama!.alternatives.map((a) => a.text), [' <0xF0><0x9F>', ' Hi']);
    assert.equal(openai!.text, '<0x98><0x80>');
    assert.equal(whole!.text, '\uFFFD', 'a real U+FFFD (EF BF BD) is a character');
  });

  it('reads a finish_reason, and null log-probs as −∞', () => {
    const state: ChoiceState = { text: '', tokens: [] };
    applyChoice(state, { index: 0, text: '', logprobs: null, finish_reason: 'length' });
    assert.equal(state.finishReason, 'length');
    assert.equal(tokensOf({ content: [{ token: 'x', logprob: null, top_logprobs: [] }] })[0]!.logprobRaw, -Infinity);
  });

  it('refuses a log-prob that is not a number with a message naming the field', () => {
    assert.throws(() => tokensOf({ content: [{ token: 'x', logprob: 'high' }] }), /logprob must be a number \(got "high"\)/);
  });
});

describe('remote engine: endpoints and errors', () => {
  it('takes a base URL with or without /v1', () => {
    assert.equal(normalizeBaseUrl('http://127.0.0.1:8000').href, 'http://127.0.0.1:8000/v1');
    assert.equal(normalizeBaseUrl('http://127.0.0.1:8000/v1/').href, 'http://127.0.0.1:8000/v1');
    assert.equal(normalizeBaseUrl('https://gw.example.com/llm/v1?x=1').href, 'https://gw.example.com/llm/v1');
    assert.throws(() => normalizeBaseUrl('ftp://x'), /http:\/\/ or https:\/\//);
    assert.throws(() => normalizeBaseUrl('http://user:secret@x'), /must not carry a user name or password/);
  });

  it('detects the dialect from the host, the port and /v1/models owned_by', () => {
    assert.equal(detectDialect(new URL('https://api.openai.com/v1')), 'openai');
    assert.equal(detectDialect(new URL('http://gpu:8000/v1'), { data: [{ id: 'm', owned_by: 'vllm' }] }), 'vllm');
    assert.equal(detectDialect(new URL('http://box:8080/v1'), { data: [{ id: 'm', owned_by: 'llamacpp' }] }), 'llamacpp');
    assert.equal(detectDialect(new URL('http://localhost:11434/v1'), { data: [{ id: 'llama3', owned_by: 'library' }] }), 'ollama');
    assert.equal(detectDialect(new URL('http://localhost:1234/v1')), 'lmstudio');
    assert.equal(detectDialect(new URL('http://unknown:9000/v1')), 'openai');
  });

  it('warns about plain http only off this machine', () => {
    assert.equal(isInsecureRemote(new URL('http://127.0.0.1:8000')), false);
    assert.equal(isInsecureRemote(new URL('http://[::1]:8000')), false);
    assert.equal(isInsecureRemote(new URL('http://gpu-box:8000')), true);
    assert.equal(isInsecureRemote(new URL('https://gpu-box')), false);
  });

  it('reads Retry-After as seconds or an HTTP date, and server error bodies', () => {
    assert.equal(retryAfterMs('2'), 2000);
    assert.equal(retryAfterMs('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')), 5000);
    assert.equal(retryAfterMs(null), undefined);
    assert.equal(retryAfterMs('soon'), undefined);
    assert.equal(serverMessage('{"error":{"message":"Rate limit reached","type":"rate_limit_error"}}'), 'Rate limit reached');
    assert.equal(serverMessage('{"error":"model \\"x\\" not found"}'), 'model "x" not found');
  });
});

describe('remote engine: refusals known before anything is sent', () => {
  it('lists the strategies a dialect cannot honour, with the same reasons compare gives, and none it can', () => {
    const strategies = [{ kind: 'greedy' }, { kind: 'min_p', minP: 0.1 }, { kind: 'top_p', topP: 0.9 }, { kind: 'best_of_n', candidates: 3 }].map((s) => strategyFromSettings(s));
    const openai = new RemoteEngine({ endpoint: 'https://api.openai.com/v1', model: 'gpt-3.5-turbo-instruct', dialect: 'openai' });
    assert.deepEqual(
      openai.refusals(strategies).map((r) => [r.strategy.name, r.reason]),
      [[strategies[1]!.name, 'min-p: not supported by api.openai.com']],
    );
    const lmstudio = new RemoteEngine({ endpoint: 'http://127.0.0.1:1234', model: 'm', dialect: 'lmstudio' });
    assert.deepEqual(
      lmstudio.refusals(strategies).map((r) => r.reason),
      ['min-p: not supported by LM Studio at 127.0.0.1:1234', 'best-of-N: needs log-probs, which LM Studio at 127.0.0.1:1234 does not return'],
    );
    assert.deepEqual(new RemoteEngine({ endpoint: 'http://127.0.0.1:8000', model: 'm', dialect: 'vllm' }).refusals(strategies), []);
  });
});

/**
 * The constrained route's wire shape per dialect, from each server's own docs and source (cited
 * in src/node/engines/remote/dialects.ts): OpenAI's response_format json_schema on chat (its
 * Structured Outputs guide), vLLM's on both routes (docs "Structured Outputs"), llama.cpp's
 * top-level json_schema on /completion (tools/server/README.md) and response_format on chat
 * (server-common.cpp oaicompat_chat_params_parse), Ollama's and LM Studio's on chat only
 * (docs/openai.md; lmstudio.ai/docs/advanced/structured-output).
 */
describe('remote engine: a JSON schema on the wire, per dialect', () => {
  const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
  const jsonSchema = { name: 'person', schema, strict: true };
  const shape = { model: 'm', prompt: 'JSON for Ada:\n', n: 1, maxTokens: 32, stop: [], topLogprobs: 0, params: { temperature: 1 }, jsonSchema };
  const responseFormat = { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } };

  it('sends response_format json_schema { name, schema, strict } on chat to every dialect', () => {
    for (const d of Object.keys(DIALECTS) as Array<keyof typeof DIALECTS>) {
      const body = requestBody({ ...shape, route: 'chat' }, DIALECTS[d]);
      assert.deepEqual(body.response_format, responseFormat, d);
      assert.equal(body.json_schema, undefined, d);
    }
  });

  it('sends it on /v1/completions to vLLM as response_format and to llama.cpp as its own json_schema field', () => {
    const vllm = requestBody({ ...shape, route: 'completions' }, DIALECTS.vllm);
    assert.deepEqual(vllm.response_format, responseFormat);
    const llamacpp = requestBody({ ...shape, route: 'completions' }, DIALECTS.llamacpp);
    assert.deepEqual(llamacpp.json_schema, schema);
    assert.equal(llamacpp.response_format, undefined);
  });

  it('never sends a schema where the route has none, and refuses the constrained route there by name with the fix', () => {
    for (const d of ['openai', 'ollama', 'lmstudio'] as const) {
      assert.throws(() => requestBody({ ...shape, route: 'completions' }, DIALECTS[d]), /has no json_schema on \/v1\/completions/);
      assert.match(jsonSchemaRefusal(DIALECTS[d], 'completions', 'the server')!, /^constrained: not supported by the server on \/v1\/completions \(raw prompts\); .*use the chat prompt format/);
      assert.equal(jsonSchemaRefusal(DIALECTS[d], 'chat', 'the server'), undefined);
    }
    assert.equal(jsonSchemaRefusal({ ...DIALECTS.openai, jsonSchema: {} }, 'chat', 'a-server'), 'constrained: not supported by a-server');
    const openai = new RemoteEngine({ endpoint: 'https://api.openai.com/v1', model: 'gpt-4o-mini', dialect: 'openai' });
    const greedy = strategyFromSettings({ kind: 'greedy' });
    assert.match(openai.refusals([greedy], { jsonSchema })[0]!.reason, /^constrained: not supported by api\.openai\.com on \/v1\/completions/);
    assert.deepEqual(openai.refusals([greedy], { jsonSchema, format: { chat: true } }), []);
    assert.deepEqual(openai.refusals([greedy], { format: {} }), [], 'no schema, nothing refused for it');
  });

  it('declares json_schema as the constrained capability, naming what enforces it', () => {
    const vllm = new RemoteEngine({ endpoint: 'http://127.0.0.1:8000', model: 'm', dialect: 'vllm' }).capabilities;
    assert.equal(vllm.constrained, 'json_schema');
    assert.match(vllm.constrainedBy!, /vLLM's structured outputs/);
  });
});
