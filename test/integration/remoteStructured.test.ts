/**
 * Structured output on an OpenAI-compatible server: the four routes through the remote engine
 * against the test server (test/support/openaiServer.ts) with the bundled model behind it. The
 * constrained route sends the schema the way each dialect documents it and the server enforces
 * it by masking tokens, as a real server does; a route that has no json_schema is refused by name
 * and nothing unconstrained is sent in its place.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { strategyFromSettings } from '../../src/core/decode/strategies';
import { engineRouteSampler } from '../../src/core/structured/engineSampler';
import { runRoutesOn, type RouteId } from '../../src/core/structured/routes';
import { checkSchema } from '../../src/core/structured/schema';
import type { DialectId } from '../../src/node/engines/remote/dialects';
import { RemoteEngine } from '../../src/node/engines/remote/remoteEngine';
import { REPO, world } from '../support/model';
import { servedEnginesInSuite } from '../support/servedEngines';

const SCHEMA_FILE = path.join(REPO, 'test', 'fixtures', 'schemas', 'person.schema.json');
const personSchema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8'));
const person = checkSchema(personSchema, 'person.schema.json');
/** Hot enough that unconstrained output often breaks. */
const hot = strategyFromSettings({ kind: 'top_p', topP: 1.0, temperature: 1.5 });

describe('structured output on an OpenAI-compatible server (the server\'s json_schema as the constrained route)', function () {
  this.timeout(300_000);
  const who = world('known')[3]!;
  const prompt = `JSON for ${who.name}:\n`;

  const { serve } = servedEnginesInSuite();

  /** `chat` undefined: the prompt format left to auto. */
  function run(engine: RemoteEngine, routes: RouteId[], chat: boolean | undefined, extra: { seed?: number; signal?: AbortSignal; onRoute?: Parameters<typeof runRoutesOn>[3]['onRoute'] } = {}) {
    const format = chat === undefined ? undefined : { chat };
    const sampler = engineRouteSampler(engine, { strategy: hot, maxNewTokens: 96, format, schemaSource: 'person.schema.json', signal: extra.signal });
    return runRoutesOn(sampler, prompt, personSchema, { strategy: hot, seed: extra.seed ?? 11, samples: 3, routes, schemaSource: 'person.schema.json', signal: extra.signal, onRoute: extra.onRoute });
  }

  for (const [dialect, chat, field] of [
    ['vllm', false, 'response_format'],
    ['llamacpp', false, 'json_schema'],
    ['openai', true, 'response_format'],
    ['ollama', true, 'response_format'],
  ] as const) {
    it(`${dialect} ${chat ? 'chat' : 'raw'}: the constrained route sends the schema as ${field} and gets schema-valid JSON at T = 1.5, in seeded runs`, async () => {
      const { server, engine } = await serve(dialect);
      for (const seed of [1, 2, 3]) {
        const result = await run(engine, ['constrained'], chat, { seed });
        const constrained = result.routes[0]!;
        assert.equal(constrained.error, undefined, constrained.error);
        assert.equal(constrained.valid, true, `seed ${seed}: ${constrained.output}`);
        assert.ok(person.validateText(constrained.output).valid, 'ajv agrees');
        assert.equal(constrained.engine, `server json_schema (${dialect} at ${server.url}/v1)`);
        assert.match(constrained.engineReason!, /The server enforces the schema with .*; Sampling Lab checks the output with ajv/);
        assert.match(constrained.note, /the schema sent with the request/);
      }
      const sent = server.requests.filter((q) => q.method === 'POST').at(-1)!;
      assert.equal(sent.path, chat ? '/v1/chat/completions' : '/v1/completions');
      if (field === 'json_schema') assert.deepEqual(sent.body.json_schema, personSchema);
      else assert.deepEqual(sent.body.response_format, { type: 'json_schema', json_schema: { name: 'Person_the_facts-lm_world_s_record', schema: personSchema, strict: true } });
      assert.equal(server.enforcedSchemas.length, 3, 'the server enforced the schema on every constrained request');
    });
  }

  it('runs the other routes on text the server samples: prompting re-asks, repair, test-time compute from n samples', async () => {
    const { server, engine } = await serve('vllm');
    const result = await run(engine, ['prompting', 'repair', 'constrained', 'test_time'], false);
    assert.deepEqual(result.routes.map((r) => [r.route, r.error]), [['prompting', undefined], ['repair', undefined], ['constrained', undefined], ['test_time', undefined]]);
    const [prompting, repair, constrained, testTime] = result.routes;
    for (const r of result.routes) assert.equal(person.validateText(r.output).valid, r.valid, `${r.route}: the verdict is ajv's`);
    assert.ok(prompting!.tries >= 1 && prompting!.tries <= 3);
    assert.equal(repair!.tries, 1);
    assert.equal(constrained!.valid, true, constrained!.output);
    assert.equal(testTime!.tries, 3);
    assert.match(testTime!.note, /^\d of 3 valid/);
    const posts = server.requests.filter((q) => q.method === 'POST');
    assert.ok(posts.some((q) => q.body.n === 3 && q.body.response_format === undefined), 'test-time compute: N samples in one request of n, unconstrained');
    assert.equal(posts.filter((q) => q.body.response_format !== undefined).length, 1, 'only the constrained route sends the schema');
  });

  it('left to auto, the format is chat on a dialect whose json_schema is chat-only: every route chats, the constrained card says so', async () => {
    const { server, engine } = await serve('ollama');
    const before = server.requests.length;
    const result = await run(engine, ['repair', 'constrained'], undefined);
    const [repair, constrained] = result.routes;
    assert.equal(repair!.error, undefined);
    assert.equal(constrained!.error, undefined, constrained!.error);
    assert.equal(constrained!.valid, true, constrained!.output);
    assert.match(constrained!.engineReason!, /The prompt went as a chat message, every route alike: the prompt format is auto, and this server's json_schema needs chat\.$/);
    const posts = server.requests.slice(before).filter((q) => q.method === 'POST');
    assert.deepEqual(posts.map((q) => [q.path, q.body.response_format !== undefined]), [['/v1/chat/completions', false], ['/v1/chat/completions', true]]);
  });

  it('refuses the constrained route by name where the dialect has no json_schema on the route (raw chosen), and sends nothing for it', async () => {
    const { server, engine } = await serve('ollama');
    const result = await run(engine, ['repair', 'constrained'], false);
    const [repair, constrained] = result.routes;
    assert.equal(repair!.error, undefined);
    assert.equal(constrained!.error, `constrained: not supported by Ollama at ${new URL(server.url).host} on /v1/completions (raw prompts); its json_schema is on /v1/chat/completions: use the chat prompt format (samplingLab.promptFormat "chat" or "auto", or drop --raw)`);
    assert.equal(constrained!.note, 'not run');
    const posts = server.requests.filter((q) => q.method === 'POST');
    assert.equal(posts.length, 1, 'only the repair route\'s request');
    assert.equal(posts[0]!.body.response_format, undefined);
    assert.equal(server.enforcedSchemas.length, 0);
  });

  it('refuses test-time compute by name on a server without log-probs (LM Studio), still running the rest', async () => {
    const { server, engine } = await serve('lmstudio');
    const result = await run(engine, ['constrained', 'test_time'], true);
    const [constrained, testTime] = result.routes;
    assert.equal(constrained!.valid, true, constrained!.error ?? constrained!.output);
    assert.equal(testTime!.error, `test-time compute: picks the valid candidate by mean log-prob, which lmstudio at ${server.url}/v1 does not return`);
  });

  it('Stop aborts the request in flight and keeps the routes that finished', async () => {
    const { server, engine } = await serve('vllm');
    const abort = new AbortController();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const result = await run(engine, ['repair', 'constrained', 'test_time'], false, {
      signal: abort.signal,
      onRoute: (r) => {
        if (r.route !== 'repair') return;
        // The constrained request is held after its first token; Stop lands while it is in flight.
        server.faults.push({ kind: 'hold', afterTokens: 1, release: held });
        server.disconnects.once('disconnect', () => release());
        setImmediate(() => abort.abort());
      },
    });
    assert.ok(result.routes.length >= 1 && result.routes.length <= 2, result.routes.map((r) => r.route).join());
    assert.equal(result.routes[0]!.route, 'repair');
    assert.equal(result.routes[0]!.error, undefined);
    assert.ok(!result.routes.some((r) => r.route === 'test_time'), 'nothing runs after Stop');
  });
});
