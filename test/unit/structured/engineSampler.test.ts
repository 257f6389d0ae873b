/**
 * The routes on a server engine, before anything is sent: which route each dialect refuses, by
 * name, and the schema's name on the wire (OpenAI's json_schema.name: ^[A-Za-z0-9_-]{1,64}$).
 */
import * as assert from 'node:assert/strict';
import { strategyFromSettings } from '../../../src/core/decode/strategies';
import { LOCAL_CAPABILITIES } from '../../../src/core/engine/types';
import { engineRouteSampler, routesFormat, schemaWireName } from '../../../src/core/structured/engineSampler';
import { ROUTE_IDS } from '../../../src/core/structured/routeIds';
import type { DialectId } from '../../../src/node/engines/remote/dialects';
import { RemoteEngine } from '../../../src/node/engines/remote/remoteEngine';

const hot = strategyFromSettings({ kind: 'temperature', temperature: 1.0 });

/** `chat` undefined: the prompt format left to auto. */
function refusals(dialect: DialectId, chat: boolean | undefined, strategy = hot): Record<string, string | undefined> {
  const engine = new RemoteEngine({ endpoint: 'http://127.0.0.1:8000', model: 'm', dialect });
  const sampler = engineRouteSampler(engine, { strategy, maxNewTokens: 32, format: chat === undefined ? undefined : { chat } });
  return Object.fromEntries(ROUTE_IDS.map((r) => [r, sampler.refusal(r)]));
}

describe('structured routes on a server engine', () => {
  it('runs every route where the server has json_schema on the route and log-probs', () => {
    assert.deepEqual(refusals('vllm', false), { prompting: undefined, repair: undefined, constrained: undefined, test_time: undefined });
    assert.deepEqual(refusals('llamacpp', false), { prompting: undefined, repair: undefined, constrained: undefined, test_time: undefined });
    assert.deepEqual(refusals('openai', true), { prompting: undefined, repair: undefined, constrained: undefined, test_time: undefined });
  });

  it('refuses the constrained route on a raw prompt where json_schema is chat-only, and test-time compute without log-probs', () => {
    assert.match(refusals('ollama', false).constrained!, /^constrained: not supported by Ollama at 127\.0\.0\.1:8000 on \/v1\/completions \(raw prompts\); .*samplingLab\.promptFormat "chat" or "auto", or drop --raw/);
    const lmstudio = refusals('lmstudio', true);
    assert.equal(lmstudio.constrained, undefined);
    assert.equal(lmstudio.test_time, 'test-time compute: picks the valid candidate by mean log-prob, which lmstudio at http://127.0.0.1:8000/v1 does not return');
  });

  it('left to auto, the prompt format is chat where json_schema is chat-only (OpenAI, Ollama, LM Studio), raw elsewhere; a choice is kept', () => {
    for (const dialect of ['openai', 'ollama', 'lmstudio'] as const) {
      assert.equal(refusals(dialect, undefined).constrained, undefined, dialect);
      const caps = new RemoteEngine({ endpoint: 'http://127.0.0.1:8000', model: 'm', dialect }).capabilities;
      const auto = routesFormat(caps, { system: 'Be brief.' });
      assert.deepEqual(auto.format, { system: 'Be brief.', chat: true }, dialect);
      assert.match(auto.note, /^The prompt went as a chat message, every route alike: the prompt format is auto, and this server's json_schema needs chat\.$/);
      assert.deepEqual(routesFormat(caps, { chat: false }), { format: { chat: false }, note: 'The prompt went as raw text.' }, dialect);
    }
    for (const dialect of ['vllm', 'llamacpp'] as const) {
      const caps = new RemoteEngine({ endpoint: 'http://127.0.0.1:8000', model: 'm', dialect }).capabilities;
      assert.deepEqual(routesFormat(caps, undefined), { format: undefined, note: 'The prompt went as raw text.' }, dialect);
      assert.deepEqual(routesFormat(caps, { chat: true }), { format: { chat: true }, note: 'The prompt went as a chat message.' }, dialect);
    }
    assert.deepEqual(routesFormat(LOCAL_CAPABILITIES, undefined).format, undefined, 'a local engine masks every format itself');
  });

  it('refuses every route by name for a strategy the server cannot honour', () => {
    const minP = strategyFromSettings({ kind: 'min_p', minP: 0.1 });
    const refused = refusals('openai', true, minP);
    for (const route of ROUTE_IDS) assert.equal(refused[route], 'min-p: not supported by 127.0.0.1:8000', route);
  });

  it('names the schema by its title, else its file, in the characters OpenAI allows', () => {
    assert.equal(schemaWireName({ title: 'Person (the facts-lm world\'s record)' }), 'Person_the_facts-lm_world_s_record');
    assert.equal(schemaWireName({ type: 'object' }, 'schemas/order.schema.json'), 'order');
    assert.equal(schemaWireName(true), 'output');
    assert.equal(schemaWireName({ title: 'x'.repeat(100) }).length, 64);
  });
});
