/**
 * A suite's own `model:` on the command line (the built dist/cli.js): a local model runs as
 * --model would, --model or --endpoint overrides it (said under the file name), and a suite's
 * `model: endpoint:NAME`, which lives in the editor's settings, fails its cases with the fix
 * (--endpoint URL --model ID) and sends nothing until --endpoint is given. The server is the
 * OpenAI-compatible test server on 127.0.0.1 with the bundled model behind it.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OpenAiTestServer } from '../support/openaiServer';
import { bundledModel, cityQuestion, world } from '../support/model';
import { runCli } from '../support/runCli';

const run = (args: string[], cwd: string) => runCli(args, { cwd });

describe("sampling-lab test: a suite's model:", function () {
  this.timeout(180_000);
  const [first, second] = world('known');
  let server: OpenAiTestServer;
  let dir: string;
  const suite = (model: string, person: { name: string; city: string }) =>
    `model: ${model}\ndefaults:\n  max_tokens: 8\ncases:\n  - name: ${person.name}\n    prompt: ${JSON.stringify(cityQuestion(person.name))}\n    assert:\n      - type: contains\n        value: ${person.city}\n`;

  before(async () => {
    server = await new OpenAiTestServer(await bundledModel(), 'openai').start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-suite-model-'));
    fs.writeFileSync(path.join(dir, 'a-remote.prompttest.yaml'), suite('endpoint:gpu-box', first!));
    fs.writeFileSync(path.join(dir, 'b-local.prompttest.yaml'), suite('facts-lm', second!));
  });
  after(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('without --endpoint, a suite naming endpoint:NAME fails with the fix and sends nothing; a suite naming facts-lm runs on it', async () => {
    const sent = server.requests.length;
    const r = await run(['test', '--no-cache'], dir);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /! .*: a-remote\.prompttest\.yaml:1: the suite's model is endpoint:gpu-box, an endpoint in the editor's settings, which the CLI does not read\. Run it with --endpoint URL --model ID/,
    );
    assert.match(r.stdout, /b-local\.prompttest\.yaml\n {2}\(the suite's model: facts-lm\)\n {2}✓ /);
    assert.match(r.stdout, /1 passed, 0 failed, 1 error/);
    assert.equal(server.requests.length, sent, 'nothing went to a server');
  });

  it('--endpoint overrides every suite’s model: both run on the server', async () => {
    const sent = server.requests.length;
    const r = await run(['test', '--no-cache', '--endpoint', server.url, '--model', 'facts-lm', '--dialect', 'openai'], dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /a-remote\.prompttest\.yaml\n {2}\(--endpoint overrides the suite's model: endpoint:gpu-box\)/);
    assert.match(r.stdout, /b-local\.prompttest\.yaml\n {2}\(--endpoint overrides the suite's model: facts-lm\)/);
    assert.match(r.stdout, /2 passed, 0 failed, 0 errors/);
    const prompts = server.requests.slice(sent).filter((q) => q.method === 'POST').map((q) => q.body.prompt);
    assert.ok(prompts.includes(cityQuestion(first!.name)) && prompts.includes(cityQuestion(second!.name)), JSON.stringify(prompts));
  });

  it("a suite's model folder that is missing fails that suite at its line; --model overrides it", async () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-suite-folder-'));
    try {
      fs.mkdirSync(path.join(other, 'sub'));
      fs.writeFileSync(path.join(other, 'sub', 'folder.prompttest.yaml'), `description: d\n${suite('./no-such-model', first!)}`);
      const r = await run(['test', '--no-cache'], other);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      // Relative to the suite's folder, not wherever the CLI runs from.
      assert.ok(r.stdout.includes(`folder.prompttest.yaml:2: the suite's model "./no-such-model" could not be loaded: Model folder not found: ${path.join(other, 'sub', 'no-such-model')}`), r.stdout);
      const overridden = await run(['test', '--no-cache', '--model', 'facts-lm'], other);
      assert.equal(overridden.code, 0, overridden.stdout + overridden.stderr);
      assert.match(overridden.stdout, /\(--model overrides the suite's model: \.\/no-such-model\)/);
      assert.match(overridden.stdout, /1 passed, 0 failed/);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('--help says which model runs a suite', async () => {
    const r = await run(['test', '--help'], dir);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--model or --endpoint overrides it for every suite/);
    assert.match(r.stdout, /"model: endpoint:NAME" names an endpoint in the editor's settings/);
  });
});
