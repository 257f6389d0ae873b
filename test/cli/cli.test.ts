/** The built CLI (dist/cli.js) as a user runs it, on the real bundled model. */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cityQuestion, MODEL_DIR, REPO, world } from '../support/model';
import { readmeFirstPrompt } from '../support/readme';

const CLI = path.join(REPO, 'dist', 'cli.js');

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('sampling-lab CLI', function () {
  this.timeout(180_000);
  const person = world('known')[1]!;

  it('compares the six default strategies and prints a table with their settings and speed', () => {
    const r = run(['compare', '--max-tokens', '12', cityQuestion(person.name)]);
    assert.equal(r.code, 0, r.stderr);
    for (const name of ['greedy', 'temperature 0.8', 'top-k 40', 'top-p 0.9', 'min-p 0.1', 'best-of-4']) {
      assert.match(r.stdout, new RegExp(`^${name.replace('.', '\\.')}\\s`, 'm'));
    }
    assert.match(r.stdout, /tok\/s/);
    assert.match(r.stdout, new RegExp(person.city));
  });

  it("the README's first prompt shows the default strategies disagreeing (six identical cards taught nothing)", () => {
    const prompt = readmeFirstPrompt(fs.readFileSync(path.join(REPO, 'README.md'), 'utf8'));
    const r = run(['compare', '--json', prompt]);
    assert.equal(r.code, 0, r.stderr);
    const texts: string[] = JSON.parse(r.stdout).results.map((x: { best: { text: string } }) => x.best.text);
    assert.equal(texts.length, 6, 'the six default strategies ran');
    assert.ok(new Set(texts).size >= 3, `at least three different completions for ${JSON.stringify(prompt)}: ${JSON.stringify(texts)}`);
  });

  it('gives JSON with --json, and the greedy answer is the known city', () => {
    const r = run(['compare', '--json', '--strategies', 'greedy', cityQuestion(person.name)]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.results[0].strategy.kind, 'greedy');
    assert.equal(out.results[0].best.text.trim().replace(/\.$/, ''), person.city);
    assert.ok(out.results[0].best.tokens.every((t: { logprobRaw: number }) => t.logprobRaw <= 0));
  });

  it('reads the prompt from --file and from stdin', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sl-')), 'prompt.txt');
    fs.writeFileSync(file, cityQuestion(person.name));
    const fromFile = JSON.parse(run(['compare', '--json', '--strategies', 'greedy', '--file', file]).stdout);
    const fromStdin = JSON.parse(run(['compare', '--json', '--strategies', 'greedy'], cityQuestion(person.name)).stdout);
    assert.equal(fromFile.results[0].best.text, fromStdin.results[0].best.text);
  });

  it('runs the same greedy answer on the WASM backend (onnxruntime-web) as on cpu', () => {
    const cpu = JSON.parse(run(['compare', '--json', '--strategies', 'greedy,top-p', cityQuestion(person.name)]).stdout);
    const wasm = run(['compare', '--json', '--device', 'wasm', '--strategies', 'greedy,top-p', cityQuestion(person.name)]);
    assert.equal(wasm.code, 0, wasm.stderr);
    const out = JSON.parse(wasm.stdout);
    assert.equal(out.device, 'wasm');
    assert.equal(out.results[0].best.text, cpu.results[0].best.text);
  });

  it('loads the shipped q8 weights with --dtype q8 (same greedy answer as fp32) and notes --threads in the log', () => {
    const fp32 = JSON.parse(run(['compare', '--json', '--strategies', 'greedy', cityQuestion(person.name)]).stdout);
    const q8 = run(['compare', '--dtype', 'q8', '--threads', '1', '--strategies', 'greedy', '--max-tokens', '12', cityQuestion(person.name)]);
    assert.equal(q8.code, 0, q8.stderr);
    assert.match(q8.stderr, /^threads: 1, as set$/m);
    assert.match(q8.stdout, new RegExp(fp32.results[0].best.text.trim().replace('.', '\\.')));
    const q8json = run(['compare', '--dtype', 'q8', '--json', '--strategies', 'greedy', cityQuestion(person.name)]);
    assert.equal(JSON.parse(q8json.stdout).results[0].best.text, fp32.results[0].best.text);
    const q4 = run(['compare', '--dtype', 'q4', 'hi']);
    assert.notEqual(q4.code, 0);
    assert.match(q4.stderr, /has no q4 weights \(onnx\/model_q4\.onnx\)\. It has: fp32, q8/);
    const bad = run(['compare', '--threads', 'many', 'hi']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--threads must be auto or an integer in \[1, 256\] \(got "many"\)/);
  });

  describe('bad input gets a message naming the problem and the fix', () => {
    const cases: Array<[string, string[], RegExp]> = [
      ['an empty prompt', ['compare', '   '], /prompt is empty/],
      ['a negative temperature', ['compare', '--temperature', '-1', 'hi'], /--temperature must be ≥ 0.*got -1/],
      ['top-p above 1', ['compare', '--top-p', '1.5', 'hi'], /--top-p must be in \(0, 1\].*got 1\.5/],
      ['top-p of 0', ['compare', '--top-p', '0', 'hi'], /--top-p must be in \(0, 1\]/],
      ['k below 1', ['compare', '--top-k', '0', 'hi'], /--top-k must be an integer ≥ 1/],
      ['min-p above 1', ['compare', '--min-p', '2', 'hi'], /--min-p must be in \[0, 1\]/],
      ['zero samples', ['compare', '--samples', '0', 'hi'], /--samples must be an integer in \[1, 64\]/],
      ['an unknown strategy', ['compare', '--strategies', 'greedy,nucleus', 'hi'], /Unknown strategy "nucleus".*top-p/],
      ['an unknown device', ['compare', '--device', 'tpu', 'hi'], /--device must be cpu or wasm/],
    ];
    for (const [what, args, message] of cases) {
      it(`${what}`, () => {
        const r = run(args);
        assert.equal(r.code, 2, r.stdout);
        assert.match(r.stderr, message);
        assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      });
    }

    it('a prompt longer than the context is cut from the left with a notice', () => {
      const long = 'Q: Where was somebody born? A: nowhere. '.repeat(80) + cityQuestion(person.name);
      const r = run(['compare', '--json', '--strategies', 'greedy', '--max-tokens', '8', long]);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.match(out.truncatedNotice, /kept the last \d+ tokens/);
      assert.ok(out.promptTokens < 256);
    });

    it('a missing model folder is named', () => {
      const r = run(['compare', '--model', '/nonexistent/model', 'hi']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /Model folder not found: \/nonexistent\/model/);
    });

    it('a corrupt config.json is named, and so is a missing ONNX file', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-model-'));
      fs.cpSync(MODEL_DIR, dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'config.json'), '{ "vocab_size": ');
      let r = run(['compare', '--model', dir, 'hi']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /config\.json is not valid JSON/);
      fs.cpSync(path.join(MODEL_DIR, 'config.json'), path.join(dir, 'config.json'));
      fs.rmSync(path.join(dir, 'onnx', 'model.onnx'));
      // Only the q8 weights left: fp32 asked for by name is missing, and the error says what there is.
      r = run(['compare', '--model', dir, '--dtype', 'fp32', 'hi']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /has no fp32 weights \(onnx\/model\.onnx\)\. It has: q8\./);
      fs.rmSync(path.join(dir, 'onnx', 'model_quantized.onnx'));
      r = run(['compare', '--model', dir, 'hi']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /has no onnx\/model\.onnx/);
    });
  });
});
