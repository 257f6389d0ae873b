/** The built CLI (dist/cli.js) pointed at an OpenAI-compatible test server on 127.0.0.1 with the bundled model behind it. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OpenAiTestServer } from '../support/openaiServer';
import type { CausalLM } from '../../src/core/model/types';
import { bundledModel, cityQuestion, REPO, topLogprobs, world } from '../support/model';
import { runCli } from '../support/runCli';

const run = runCli;

describe('sampling-lab on an OpenAI-compatible server (--endpoint)', function () {
  this.timeout(180_000);
  const people = world('known').slice(0, 5);
  let server: OpenAiTestServer;
  let model: CausalLM;
  before(async () => {
    model = await bundledModel();
    server = await new OpenAiTestServer(model, 'openai').start();
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

  it('--device, --dtype and --threads are refused by name on every command with --endpoint (the server runs the model), before anything is sent', async () => {
    const before = server.requests.length;
    const schemaFile = path.join(REPO, 'test', 'fixtures', 'schemas', 'person.schema.json');
    const on = ['--endpoint', server.url, '--model', 'facts-lm', '--dialect', 'openai'];
    const refused: Array<[string[], RegExp]> = [
      [['explore', ...on, '--device', 'wasm', '--dtype', 'q8', '--threads', '2', 'hi'], /^sampling-lab: --device, --dtype, --threads set how a local model runs and do not apply with --endpoint: the server runs the model\. Drop them, or drop --endpoint to run a local --model\.$/m],
      [['explore', ...on, '--threads', '1', 'hi'], /--threads sets how a local model runs and does not apply with --endpoint: the server runs the model\. Drop it, or drop --endpoint/],
      [['compare', ...on, '--dtype', 'q8', 'hi'], /--dtype sets how a local model runs and does not apply with --endpoint/],
      [['json', ...on, '--device', 'cpu', '--schema', schemaFile, 'hi'], /--device sets how a local model runs and does not apply with --endpoint/],
      [['risk', ...on, '--device', 'cpu', 'hi'], /--device sets how a local model runs and does not apply with --endpoint/],
      [['test', ...on, '--threads', 'auto'], /--threads sets how a local model runs and does not apply with --endpoint/],
    ];
    for (const [args, message] of refused) {
      const r = await run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.equal(server.requests.length, before, 'nothing was sent');
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

    // Neither --chat nor --raw: OpenAI's json_schema is on chat only, so the routes chat.
    const sent = server.requests.length;
    const auto = await run(['json', '--json', '--endpoint', server.url, '--model', 'facts-lm', '--dialect', 'openai', '--schema', schemaFile, '--routes', 'constrained', '--max-tokens', '96', prompt]);
    assert.equal(auto.code, 0, auto.stderr);
    const autoConstrained = JSON.parse(auto.stdout).routes[0];
    assert.equal(autoConstrained.error, undefined, autoConstrained.error);
    assert.equal(autoConstrained.valid, true, autoConstrained.output);
    assert.match(autoConstrained.engineReason, /The prompt went as a chat message, every route alike: the prompt format is auto, and this server's json_schema needs chat\.$/);
    assert.deepEqual(server.requests.slice(sent).filter((q) => q.method === 'POST').map((q) => q.path), ['/v1/chat/completions']);
    const raw = await run(['json', '--endpoint', server.url, '--model', 'facts-lm', '--dialect', 'openai', '--raw', '--schema', schemaFile, '--routes', 'constrained', prompt]);
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
    // --model is the server's id, not a local model folder to look a calibration up by.
    const served = await run(['risk', '--json', '--endpoint', server.url, '--model', 'llama3.2', '--dialect', 'openai', '--samples', '2', '--max-tokens', '4', cityQuestion(people[2]!.name)]);
    assert.equal(served.code, 0, served.stderr);
    assert.equal(JSON.parse(served.stdout).calibration, null);
    assert.equal(server.requests.at(-1)!.body.model, 'llama3.2');
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

  describe('explore --endpoint: the step on the server\'s top log-probs, approximate', () => {
    const prompt = cityQuestion(people[4]!.name);
    let llama: OpenAiTestServer;
    before(async () => {
      // llama.cpp's /v1/completions returns 20 top log-probs with token ids, so each can be checked by id.
      llama = await new OpenAiTestServer(model, 'llamacpp').start();
    });
    after(() => llama.close());
    const explore = (...args: string[]) => run(['explore', '--endpoint', llama.url, '--model', 'facts-lm', '--dialect', 'llamacpp', '--max-tokens', '4', ...args, prompt]);

    it('--json: the top 20 are the local raw distribution\'s top 20 at that step, the unknown tail is 1 − their mass, marked approximate', async () => {
      const r = await explore('--json', '--step', '1');
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.approximate, true);
      assert.equal(out.known, 20);
      assert.match(out.sampledBy, /^the server \(/);
      assert.equal(llama.requests.at(-1)!.path, '/v1/completions');
      assert.equal(llama.requests.at(-1)!.body.logprobs, 20, 'asks for the dialect\'s most top log-probs');
      const ids = model.encodePrompt(prompt);
      const generated = out.completion.tokens.map((t: { token: number }) => t.token);
      const full = await model.forwardFull([...ids, ...generated]);
      const row = full.subarray(ids.length * model.vocabSize, (ids.length + 1) * model.vocabSize);
      const want = topLogprobs(row, 20);
      const shown = out.explanation.tokens as Array<{ token: number; text: string; prob: number; rank: number }>;
      assert.deepEqual(shown.map((t) => t.token), want.map((w) => w.id));
      assert.deepEqual(shown.map((t) => t.text), want.map((w) => model.tokenText(w.id)));
      shown.forEach((t, i) => assert.ok(Math.abs(t.prob - Math.exp(want[i]!.logprob)) < 1e-4, `rank ${i}: ${t.prob} vs ${Math.exp(want[i]!.logprob)}`));
      const knownMass = want.reduce((sum, w) => sum + Math.exp(w.logprob), 0);
      assert.ok(knownMass < 0.9999, `the known mass ${knownMass} leaves a tail to show`);
      assert.ok(Math.abs(out.unknownTail - (1 - knownMass)) < 1e-4, `unknown tail ${out.unknownTail} vs ${1 - knownMass}`);
      assert.ok(Math.abs(out.explanation.tailMass - out.unknownTail) < 1e-6, 'all 20 shown: what is not shown is the unknown tail');
      assert.equal(out.explanation.chosen.token, generated[1]);
      // Greedy: the chosen token is the server's first, and the renormalised known part puts all the sampling mass on it.
      assert.equal(out.explanation.chosen.rank, 0);
      assert.equal(out.explanation.chosen.finalProb, 1);
    });

    it('prints the view marked approximate, with the unknown tail as one row, and the sweep over the known part', async () => {
      const r = await explore('--step', '0', '--temperature', '0.7', '--sweep');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^approximate \(server's top 20\): the server returned only its top 20 log-probs at this step; the unknown tail, [\d.e-]+ of the probability/m);
      assert.match(r.stdout, /^\s+–\s+unknown tail\s+\d\.\d{6}\s+░*\s+unknown$/m);
      assert.match(r.stdout, /^chain: logits -> temperature\(0\.7\)/m);
      assert.match(r.stdout, /temperature sweep \(chosen token, over the known part: approximate\)/);
      assert.equal((r.stdout.match(/^\s+\d+\s+".*"\s+\d\.\d{6}/gm) ?? []).length, 20, 'the 20 known tokens, one row each');
    });

    it('--branch-text continues on the server from an alternative\'s text; a text the server did not offer is refused', async () => {
      const first = JSON.parse((await explore('--json', '--step', '1')).stdout);
      const alternative = first.explanation.tokens[1].text as string;
      const before = first.completion.tokens[0].text as string;
      const r = await explore('--json', '--step', '1', '--branch-text', alternative);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.branch.text, alternative);
      assert.match(out.branch.continuedBy, /^llamacpp at /);
      const sent = llama.requests.at(-1)!;
      assert.equal(sent.path, '/v1/completions');
      assert.equal(sent.body.prompt, prompt + before + alternative);
      assert.equal(sent.body.max_tokens, 2, 'the run\'s budget less the steps before and the forced token');
      const posts = llama.requests.filter((q) => q.method === 'POST').length;
      const bad = await explore('--step', '1', '--branch-text', 'zzz-not-offered');
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--branch-text "zzz-not-offered" is not among the server's tokens at step 1: give the chosen token or one of /);
      assert.equal(llama.requests.filter((q) => q.method === 'POST').length, posts + 1, 'only the run itself was sent, no continuation');
    });

    it('refuses what needs token ids, the history or a raw continuation before sending anything, and says what to do instead', async () => {
      const before = llama.requests.length + server.requests.length;
      const refused: Array<[string[], RegExp]> = [
        [['--branch', '5'], /--branch takes a token id, and a server returns token texts, not ids: with --endpoint use --branch-text TEXT/],
        [['--repeat-penalty', '1.3', '--dry-multiplier', '0.8'], /--repeat-penalty, --dry-multiplier: with --endpoint the step is the server's top log-probs, .*\(repetition_penalty, dry\) cannot be replayed on it.* Drop the flag, or explore a local --model/],
        [['--logit-bias', '5=2'], /--logit-bias: .*\(logit_bias\) cannot be replayed/],
        [['--chat', '--branch-text', ' x'], /--branch-text continues the prompt as raw text, and a --chat run went through the server's own chat template.* Drop --chat/],
      ];
      for (const [args, message] of refused) {
        const r = await explore(...args);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, message);
      }
      const minP = await run(['explore', '--endpoint', server.url, '--model', 'facts-lm', '--dialect', 'openai', '--strategy', 'min-p', prompt]);
      assert.equal(minP.code, 2, minP.stderr);
      assert.match(minP.stderr, /--strategy min-p 0\.1: min-p: not supported by 127\.0\.0\.1:\d+\. Choose a strategy the server honours, or explore a local --model/);
      const local = await run(['explore', '--branch-text', ' x', prompt]);
      assert.equal(local.code, 2);
      assert.match(local.stderr, /--branch-text continues on a server by text and needs --endpoint URL; on a local model use --branch ID/);
      assert.equal(llama.requests.length + server.requests.length, before, 'nothing was sent');
    });
  });

  it('anatomy --endpoint is refused: a server does not share its weights', async () => {
    const before = server.requests.length;
    const r = await run(['anatomy', '--endpoint', server.url, '--model', 'facts-lm']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /anatomy counts a model's parameters from its weights, and http:\/\/127\.0\.0\.1:\d+ runs its model on a server that does not share them\. Give a local model or a hub id instead/);
    assert.equal(server.requests.length, before);
  });
});
