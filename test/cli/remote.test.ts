/** The built CLI (dist/cli.js) pointed at an OpenAI-compatible test server on 127.0.0.1 with the bundled model behind it. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OpenAiTestServer } from '../support/openaiServer';
import { bundledModel, cityQuestion, REPO, world } from '../support/model';
import { runCli } from '../support/runCli';

const run = runCli;

describe('sampling-lab on an OpenAI-compatible server (--endpoint)', function () {
  this.timeout(180_000);
  const people = world('known').slice(0, 5);
  let server: OpenAiTestServer;
  before(async () => {
    server = await new OpenAiTestServer(await bundledModel(), 'openai').start();
  });
  after(() => server.close());

  it('compares on the server: cards say "sampled by the server", and a strategy it cannot honour is refused by name', async () => {
    const r = await run(['compare', '--endpoint', server.url, '--model', 'facts-lm', '--dialect', 'openai', '--strategies', 'greedy,min-p', '--max-tokens', '8', cityQuestion(people[0]!.name)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /sampled by the server \(127\.0\.0\.1:\d+\)/);
    assert.match(r.stdout, new RegExp(`^greedy\\s+sampled by the server: .*${people[0]!.city}`, 'm'));
    assert.match(r.stdout, /^min-p 0\.1: refused: min-p: not supported by 127\.0\.0\.1:\d+$/m);
    assert.equal(server.requests.at(-1)!.path, '/v1/completions');
  });

  it('picks best-of-N client-side from n samples, and reads the key from --api-key-env without ever printing it', async () => {
    server.apiKey = 'sk-cli-secret';
    try {
      const r = await run(['compare', '--json', '--endpoint', `${server.url}/v1/`, '--model', 'facts-lm', '--dialect', 'openai', '--api-key-env', 'LAB_KEY', '--strategies', 'best-of-n', '--candidates', '3', '--max-tokens', '6', cityQuestion(people[1]!.name)], { env: { LAB_KEY: 'sk-cli-secret' } });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      const best = out.results[0];
      assert.equal(best.completions.length, 3);
      assert.equal(best.best.meanLogprob, Math.max(...best.completions.map((c: { meanLogprob: number }) => c.meanLogprob)));
      assert.equal(server.requests.at(-1)!.body.n, 3);
      assert.equal(server.requests.at(-1)!.authorization, 'Bearer sk-cli-secret');
      assert.doesNotMatch(r.stdout + r.stderr, /sk-cli-secret/);
      const unset = await run(['compare', '--endpoint', server.url, '--model', 'facts-lm', '--api-key-env', 'NOT_SET_ANYWHERE', 'hi']);
      assert.equal(unset.code, 2);
      assert.match(unset.stderr, /--api-key-env NOT_SET_ANYWHERE: the environment variable NOT_SET_ANYWHERE is not set/);
      const wrong = await run(['compare', '--endpoint', server.url, '--model', 'facts-lm', '--dialect', 'openai', '--api-key-env', 'LAB_KEY', 'hi'], { env: { LAB_KEY: 'sk-wrong' } });
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /HTTP 401: Incorrect API key provided\. Check the API key/);
      assert.doesNotMatch(wrong.stderr, /sk-wrong/);
    } finally {
      server.apiKey = undefined;
    }
  });

  it('without --model, names the models the server serves', async () => {
    const r = await run(['compare', '--endpoint', server.url, 'hi']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--endpoint needs --model, the server's model id: it serves facts-lm/);
  });

  it('json --endpoint: the server samples every route, its json_schema is the constrained route (schema-valid), and a route without one is refused by name', async () => {
    const schemaFile = path.join(REPO, 'test', 'fixtures', 'schemas', 'person.schema.json');
    const prompt = `JSON for ${people[3]!.name}:\n`;
    const before = server.requests.length;
    const r = await run(['json', '--json', '--endpoint', server.url, '--model', 'facts-lm', '--dialect', 'openai', '--chat', '--schema', schemaFile, '--routes', 'repair,constrained', '--temperature', '1.5', '--max-tokens', '96', prompt]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.match(out.sampledBy, /^the server \(openai at http:\/\/127\.0\.0\.1:\d+\/v1\)$/);
    const constrained = out.routes.find((x: { route: string }) => x.route === 'constrained');
    assert.equal(constrained.error, undefined, constrained.error);
    assert.equal(constrained.valid, true, constrained.output);
    assert.match(constrained.engine, /^server json_schema \(openai at /);
    const posts = server.requests.slice(before).filter((q) => q.method === 'POST');
    assert.equal(posts.length, 2);
    assert.ok(posts.every((q) => q.path === '/v1/chat/completions'));
    assert.deepEqual((posts[1]!.body.response_format as { json_schema: { schema: unknown } }).json_schema.schema, JSON.parse(fs.readFileSync(schemaFile, 'utf8')));

    const raw = await run(['json', '--endpoint', server.url, '--model', 'facts-lm', '--dialect', 'openai', '--schema', schemaFile, '--routes', 'constrained', prompt]);
    assert.equal(raw.code, 0, raw.stderr);
    assert.match(raw.stdout, /^sampled by the server/);
    assert.match(raw.stdout.replace(/\s+/g, ' '), /constrained: not supported by 127\.0\.0\.1:\d+ on \/v1\/completions \(raw prompts\)/);
    const flags = await run(['json', '--endpoint', server.url, '--model', 'facts-lm', '--strict-properties', '--schema', schemaFile, prompt]);
    assert.equal(flags.code, 2);
    assert.match(flags.stderr, /--strict-properties shapes our own mask; with --endpoint the server enforces the schema as given/);
  });

  it('checks hallucination risk on the server: the N samples in one request of n, uncalibrated', async () => {
    const before = server.requests.length;
    const r = await run(['risk', '--json', '--endpoint', server.url, '--model', 'facts-lm', '--dialect', 'openai', '--samples', '4', '--max-tokens', '8', cityQuestion(people[2]!.name)]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.calibration, null);
    assert.ok(out.results[0].answer.includes(people[2]!.city), out.results[0].answer);
    assert.equal(typeof out.results[0].risk, 'number');
    const posts = server.requests.slice(before).filter((q) => q.method === 'POST');
    assert.deepEqual(posts.map((q) => [q.body.temperature, q.body.n ?? 1]).sort(), [[0, 1], [1, 4]]);
    const refused = await run(['risk', '--endpoint', server.url, '--model', 'facts-lm', '--agreement', 'nli', '--nli-model', 'x', 'hi']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /with --endpoint use --agreement lexical/);
  });

  it('runs a prompt-test suite across the server with --concurrency, requests in parallel', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-remote-'));
    const cases = people.map((p) => `  - name: ${p.name}\n    prompt: ${JSON.stringify(cityQuestion(p.name))}\n    assert:\n      - type: contains\n        value: ${p.city}\n`).join('');
    fs.writeFileSync(path.join(dir, 'cities.prompttest.yaml'), `defaults:\n  strategy: greedy\n  max_tokens: 8\ncases:\n${cases}`);
    server.maxInFlight = 0;
    const r = await run(['test', '--no-cache', '--endpoint', server.url, '--model', 'facts-lm', '--dialect', 'openai', '--concurrency', '4'], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`${people.length} passed, 0 failed`));
    assert.ok(server.maxInFlight > 1, `the server saw at most ${server.maxInFlight} request at once`);
    assert.ok(server.maxInFlight <= 4, `the server saw ${server.maxInFlight} requests at once`);
  });
});
