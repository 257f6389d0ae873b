/** The built CLI on a GGUF file: facts-lm converted at test time (tools/model/gguf.py), run by llama.cpp. */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ggufFile } from '../support/ggufModel';
import { cityQuestion, REPO, world } from '../support/model';

const CLI = path.join(REPO, 'dist', 'cli.js');

function run(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('sampling-lab CLI on a .gguf model (llama.cpp)', function () {
  this.timeout(180_000);
  const person = world('known')[3]!;

  it('compare --model file.gguf runs every default strategy, and greedy gives the ONNX model\'s answer token for token', () => {
    const gguf = run(['compare', '--json', '--threads', '1', '--model', ggufFile('F32'), cityQuestion(person.name)]);
    assert.equal(gguf.code, 0, gguf.stderr);
    const out = JSON.parse(gguf.stdout);
    assert.equal(out.model, 'facts-lm-F32.gguf');
    assert.match(out.device, /llama\.cpp/);
    assert.equal(out.results.length, 6);
    const onnx = JSON.parse(run(['compare', '--json', '--strategies', 'greedy', cityQuestion(person.name)]).stdout);
    const ids = (r: { best: { tokens: Array<{ token: number }> } }) => r.best.tokens.map((t) => t.token);
    assert.deepEqual(ids(out.results[0]), ids(onnx.results[0]));
    assert.equal(out.results[0].best.text.trim(), `${person.city}.`);
    // The full distribution reached our chain: alternatives with log-probs, and the samplers ran.
    assert.ok(out.results[0].best.tokens[0].alternatives.length > 1);
    assert.equal(out.results[5].strategy.kind, 'best_of_n');
  });

  it('prints the table for a Q4_0 file and notes the threads', () => {
    const r = run(['compare', '--threads', '1', '--strategies', 'greedy,top-p', '--max-tokens', '8', '--model', ggufFile('Q4_0'), cityQuestion(person.name)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^greedy\s/m);
    assert.match(r.stdout, new RegExp(person.city));
    assert.match(r.stderr, /^threads: 1, as set$/m);
  });

  it('says what is wrong with a bad .gguf, a wrong device or dtype, with no stack trace', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-cli-gguf-'));
    try {
      const notGguf = path.join(dir, 'notes.gguf');
      fs.writeFileSync(notGguf, 'hello, I am text');
      const cut = path.join(dir, 'cut.gguf');
      fs.writeFileSync(cut, fs.readFileSync(ggufFile('F32')).subarray(0, 100_000));
      for (const [args, code, message] of [
        [['--model', notGguf], 1, /is not a GGUF file/],
        [['--model', cut], 1, /llama\.cpp could not load .*cut\.gguf.*download or convert it again/],
        [['--model', cut, '--device', 'wasm'], 2, /runs on llama\.cpp on the CPU; drop --device wasm/],
        [['--model', cut, '--dtype', 'q8'], 2, /carries its own quantization/],
      ] as Array<[string[], number, RegExp]>) {
        const r = run(['compare', ...args, 'Q: hi\nA:']);
        assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, message);
        assert.doesNotMatch(r.stderr, /\n\s+at /, 'a stack trace was printed');
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('risk runs on a .gguf model (uncalibrated: a GGUF file has its own fingerprint), and anatomy refuses one by name', () => {
    const r = run(['risk', '--json', '--model', ggufFile('Q8_0'), cityQuestion(person.name)]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.model, 'facts-lm-Q8_0.gguf');
    assert.equal(out.results[0].answer.trim(), `${person.city}.`);
    assert.equal(out.results[0].calibrated, false);
    const a = run(['anatomy', '--model', ggufFile('Q8_0')]);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /does not read \.gguf files yet/);
  });

  it('models gguf lists the files in LM Studio\'s folder and a folder given', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-cli-home-'));
    try {
      const lms = path.join(home, '.lmstudio', 'models', 'me', 'facts-GGUF');
      fs.mkdirSync(lms, { recursive: true });
      fs.copyFileSync(ggufFile('Q8_0'), path.join(lms, 'facts-lm-Q8_0.gguf'));
      const env = { ...process.env, HOME: home, OLLAMA_MODELS: path.join(home, 'no-ollama') };
      const r = run(['models', 'gguf', '--json', path.dirname(ggufFile('F32'))], env);
      assert.equal(r.code, 0, r.stderr);
      const files = JSON.parse(r.stdout).files as Array<{ source: string; name: string; file: string }>;
      assert.deepEqual(files.map((f) => [f.source, f.name]), [
        ['lmstudio', 'me/facts-GGUF/facts-lm-Q8_0.gguf'],
        ['folder', 'facts-lm-F32.gguf'],
        ['folder', 'facts-lm-Q4_0.gguf'],
        ['folder', 'facts-lm-Q8_0.gguf'],
      ]);
      // What it lists loads.
      const c = run(['compare', '--json', '--strategies', 'greedy', '--max-tokens', '4', '--model', files[0]!.file, cityQuestion(person.name)], env);
      assert.equal(c.code, 0, c.stderr);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
