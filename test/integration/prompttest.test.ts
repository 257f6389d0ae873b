/** Prompt test suites on the real bundled model: the example suites, the cache, and the CLI with JUnit. */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SuiteReport } from '../../src/core/prompttest';
import { LocalEngine } from '../../src/node/engines/local/localEngine';
import { nodeModelIdentity, PromptTestCache, readSuiteFile, runSuite } from '../../src/node/promptTestRunner';
import { parseJUnit } from '../support/junit';
import { calibrationFor } from '../../src/cli/risk';
import { bundledModel, REPO } from '../support/model';

const EXAMPLES = path.join(REPO, 'examples', 'prompts');
const KNOWN = path.join(EXAMPLES, 'known-people.prompttest.yaml');
const HELDOUT = path.join(EXAMPLES, 'heldout-people.prompttest.yaml');

async function runExample(file: string, cache?: PromptTestCache): Promise<SuiteReport> {
  // The shared bundled model, through the local engine as the CLI runs it (never disposed here).
  const model = new LocalEngine(await bundledModel());
  // The bundled model's own risk calibration, as `sampling-lab test` passes it: max-risk reads its bands.
  const riskCalibration = calibrationFor(undefined).calibration;
  return runSuite(model, file, await readSuiteFile(file, { root: REPO }), { identity: nodeModelIdentity(model), cache, riskCalibration });
}

/** The CLI from source, as `sampling-lab test …` runs it. */
function cli(args: string[], cwd = REPO) {
  const r = spawnSync(process.execPath, ['-r', path.join(REPO, 'test', 'support', 'register.cjs'), path.join(REPO, 'src', 'cli', 'main.ts'), 'test', ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('prompt tests on the bundled model', function () {
  this.timeout(300_000);
  let tmp: string;
  before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-prompttest-'))));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('pass every case about people the model knows', async () => {
    const report = await runExample(KNOWN);
    assert.deepEqual(report.problems, []);
    assert.deepEqual(report.errors, []);
    for (const r of report.results) assert.equal(r.pass, true, `${r.name}: ${r.summary}\n${r.failures.map((f) => f.message).join('\n')}`);
    assert.deepEqual(report.results.map((r) => `${r.passedRuns}/${r.runs}`), ['1/1', '1/1', '5/5', '2/2', '1/1']);
  });

  it('fail the risk and accuracy cases about a held-out person, with the rate and the made-up answer', async () => {
    const report = await runExample(HELDOUT);
    const [shape, risk, sampled] = report.results;
    assert.equal(shape!.pass, true, shape!.summary);
    assert.equal(risk!.pass, false);
    assert.equal(risk!.assertions[0]!.assertion.type, 'max-risk');
    assert.match(risk!.failures[0]!.message, /^risk \d\.\d\d \(High\) is above max-risk 0\.3/);
    assert.equal(sampled!.pass, false);
    assert.equal(sampled!.runs, 5);
    assert.ok(sampled!.passedRuns < 4, sampled!.summary);
    assert.match(sampled!.summary, /^\d\/5 runs passed \(\d+%\), needs 80% \(4\/5\): contains "Corriveau" held in \d\/5/);
  });

  it('serve an unchanged case from the cache with the same outputs, and miss when the seed changes', async () => {
    const cache = new PromptTestCache(path.join(tmp, 'cache'));
    const first = await runExample(KNOWN, cache);
    const second = await runExample(KNOWN, cache);
    assert.ok(first.results.every((r) => !r.cached));
    assert.ok(second.results.every((r) => r.cached));
    assert.deepEqual(second.results.map((r) => r.assertions.map((a) => a.outcomes)), first.results.map((r) => r.assertions.map((a) => a.outcomes)));

    const model = new LocalEngine(await bundledModel());
    const parsed = await readSuiteFile(KNOWN, { root: REPO });
    const reseeded = { ...parsed, cases: [{ ...parsed.cases[2]!, seed: 7 }] };
    const report = await runSuite(model, KNOWN, reseeded, { identity: nodeModelIdentity(model), cache });
    assert.equal(report.results[0]!.cached, false);
  });

  it('run from the CLI: a summary, JUnit XML whose counts match, and exit 1 on failure', () => {
    const junit = path.join(tmp, 'out', 'prompt-tests.xml');
    const r = cli(['examples/prompts', '--junit', junit, '--no-cache']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^  ✓ Kawe Steiga was born in Belcastro — 1\/1 runs passed \(100%\)/m);
    assert.match(r.stdout, /^  ✗ a held-out person's birthplace is low risk \(fails\) — 0\/1 runs passed/m);
    assert.match(r.stdout, /^      run 1, line 21 \(max-risk ≤ 0\.3\): risk/m);
    assert.match(r.stdout, /^6 passed, 2 failed, 0 errors · 8 cases in 2 files · 0 from cache/m);

    const doc = parseJUnit(fs.readFileSync(junit, 'utf8'));
    assert.deepEqual([doc.testsuites['@_tests'], doc.testsuites['@_failures'], doc.testsuites['@_errors']], ['8', '2', '0']);
    const suites = Object.fromEntries(doc.testsuites.testsuite.map((s) => [path.basename(s['@_name']), s]));
    const heldout = suites['heldout-people.prompttest.yaml']!;
    assert.deepEqual([heldout['@_tests'], heldout['@_failures']], ['3', '2']);
    assert.deepEqual(heldout.testcase.filter((c) => c.failure).map((c) => c['@_name']), [
      "a held-out person's birthplace is low risk (fails)",
      'sampling names the true city in 4 of 5 runs (fails)',
    ]);
    const known = suites['known-people.prompttest.yaml']!;
    assert.deepEqual([known['@_tests'], known['@_failures'], known.testcase.length], ['5', '0', 5]);
  });

  it('exit 0 from the CLI when every case passes, and reuse the cache on the second run', () => {
    const args = ['examples/prompts/known-people.prompttest.yaml', '--cache-dir', path.join(tmp, 'cli-cache')];
    const first = cli(args);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /5 passed, 0 failed, 0 errors · 5 cases in 1 file · 0 from cache/);
    const second = cli(args);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /5 passed, 0 failed, 0 errors · 5 cases in 1 file · 5 from cache/);
  });

  it('miss the cache once the model folder is replaced in place (same path, same ONNX size and mtime)', () => {
    const model = path.join(tmp, 'replaced-model');
    fs.cpSync(path.join(REPO, 'models', 'facts-lm'), model, { recursive: true, filter: (src) => !src.includes(`${path.sep}world`) });
    fs.writeFileSync(path.join(tmp, 'one.prompttest.yaml'), 'cases:\n  - name: greedy city\n    strategy: greedy\n    max_tokens: 4\n    prompt: "Q: Where was Kawe Steiga born?\\nA:"\n    assert:\n      - type: contains\n        value: Belcastro\n');
    const args = ['one.prompttest.yaml', '--model', model, '--cache-dir', path.join(tmp, 'replaced-cache')];
    assert.match(cli(args, tmp).stdout, /1 passed.* · 0 from cache/);
    assert.match(cli(args, tmp).stdout, /1 passed.* · 1 from cache/);
    // Another export of the model copied over the old one: here the ONNX header's producer name
    // differs by a byte, and the file keeps its size and mtime (as `cp -p` of a same-size file does).
    const onnx = path.join(model, 'onnx', 'model.onnx');
    const { atime, mtime } = fs.statSync(onnx);
    const bytes = fs.readFileSync(onnx);
    bytes[bytes.indexOf('pytorch')] = 0x50;
    fs.writeFileSync(onnx, bytes);
    fs.utimesSync(onnx, atime, mtime);
    const after = cli(args, tmp);
    assert.equal(after.code, 0, after.stderr);
    assert.match(after.stdout, /1 passed.* · 0 from cache/, 'a replaced model is a new model: no stale hit');
  });

  it('report a broken suite at its lines without loading the model, and exit 1', () => {
    fs.writeFileSync(path.join(tmp, 'broken.prompttest.yaml'), 'cases:\n  - name: a\n    prompt: hi\n    repeat: 0\n    assert:\n      - type: containz\n');
    const r = cli(['broken.prompttest.yaml'], tmp);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^broken\.prompttest\.yaml:4:13: repeat must be an integer in \[1, 64\]/m);
    assert.match(r.stderr, /^broken\.prompttest\.yaml:6:15: Unknown assertion type "containz"/m);
    assert.doesNotMatch(r.stderr, /Loading model/);
    assert.match(r.stdout, /0 passed, 0 failed, 1 error/);
  });

  it('exit 2 with a message when no file matches', () => {
    const r = cli(['nowhere/*.prompttest.yaml'], tmp);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /No prompt test files match "nowhere\/\*\.prompttest\.yaml"/);
  });
});
