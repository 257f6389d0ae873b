/** The preference file under real processes: several appending at once, and one killed mid-run. */
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compareStrategies } from '../../src/core/decode/compare';
import { strategyFromSettings } from '../../src/core/decode/strategies';
import { makePreferenceRecord, summarizePreferences, type PreferenceRecord } from '../../src/core/preferences';
import { appendPreference, preferencesPath, readPreferences } from '../../src/node/preferencesFile';
import { bundledModel, cityQuestion, REPO, world } from '../support/model';

const APPENDER = path.join(REPO, 'test', 'support', 'appendPreferences.ts');

function appender(file: string, writer: string, count: number | 'forever', bytes: number): ChildProcess {
  return spawn(process.execPath, ['-r', path.join(REPO, 'test', 'support', 'register.cjs'), APPENDER, file, writer, String(count), String(bytes)], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
}

/** Each record must be whole: its text is its tag repeated to the length it states. */
function assertIntact(r: PreferenceRecord): void {
  assert.equal(r.chosen.length, Number(r.rejected), `record ${r.prompt} was cut or merged`);
  assert.ok(r.chosen.startsWith(`${r.prompt} `), `record ${r.prompt} holds another record's text`);
}

describe('the preferences file', function () {
  this.timeout(120_000);
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-prefs-'));
    file = preferencesPath(dir);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lives in .sampling-lab/preferences.jsonl of the workspace, created on the first append', () => {
    assert.equal(path.relative(dir, file), path.join('.sampling-lab', 'preferences.jsonl'));
    assert.deepEqual(readPreferences(file), { records: [], skipped: [], tornTail: false });
    appendPreference(file, { prompt: 'p', chosen: 'c', rejected: 'r' });
    assert.deepEqual(readPreferences(file).records, [{ prompt: 'p', chosen: 'c', rejected: 'r' }]);
  });

  it('loses no line and corrupts none when several processes append at once', async () => {
    const writers = 5;
    const each = 150;
    // 20 KB records: far above PIPE_BUF, so only whole-line O_APPEND writes keep them apart.
    const children = Array.from({ length: writers }, (_, w) => appender(file, `w${w}`, each, 20_000));
    const results = await Promise.all(children.map(exited));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const read = readPreferences(file);
    assert.deepEqual(read.skipped, []);
    assert.equal(read.records.length, writers * each);
    read.records.forEach(assertIntact);
    const seen = new Set(read.records.map((r) => r.prompt));
    for (let w = 0; w < writers; w++) for (let i = 0; i < each; i++) assert.ok(seen.has(`w${w}#${i}`), `w${w}#${i} is missing`);
    // Each writer's records stay in the order it wrote them.
    for (let w = 0; w < writers; w++) {
      const order = read.records.filter((r) => r.chosen_strategy === `w${w}`).map((r) => Number(r.prompt.split('#')[1]));
      assert.deepEqual(order, [...order].sort((a, b) => a - b));
    }
  });

  it('hardening: many processes racing to append leave no stray blank line', async () => {
    // Records of ~6 KB cross page boundaries, which is when a reader could see a neighbour's
    // line half-copied; 16 writers make the races frequent on two cores.
    const writers = 16;
    const each = 40;
    const children = Array.from({ length: writers }, (_, w) => appender(file, `r${w}`, each, 6_000));
    const results = await Promise.all(children.map(exited));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    assert.equal(lines.pop(), '', 'the file ends with a line break');
    assert.equal(lines.filter((l) => l === '').length, 0, 'blank lines between records');
    assert.equal(lines.length, writers * each);
    const read = readPreferences(file);
    assert.deepEqual(read.skipped, []);
    read.records.forEach(assertIntact);
  });

  it('keeps every line written before a process was killed mid-run, and appends cleanly after', async () => {
    const child = appender(file, 'victim', 'forever', 50_000);
    const done = exited(child);
    while (!fs.existsSync(file) || fs.statSync(file).size < 60 * 50_000) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    const { signal } = await done;
    assert.equal(signal, 'SIGKILL');

    const before = readPreferences(file);
    assert.ok(before.records.length >= 60, `only ${before.records.length} records`);
    before.records.forEach(assertIntact);
    // At most the line being written when the kill came is lost, and only as the last line.
    assert.ok(before.skipped.length <= 1 && before.skipped.every((s) => before.tornTail && s.reason.startsWith('cut off')), JSON.stringify(before.skipped));
    assert.deepEqual(before.records.map((r) => r.prompt), before.records.map((_, i) => `victim#${i}`));

    appendPreference(file, { prompt: 'after', chosen: 'c', rejected: 'r' });
    const after = readPreferences(file);
    assert.equal(after.records.length, before.records.length + 1);
    assert.equal(after.records.at(-1)!.prompt, 'after');
    assert.equal(after.tornTail, false);
  });

  it('starts a new line after a line a crash cut off, so only that record is lost', () => {
    appendPreference(file, { prompt: 'one', chosen: 'c', rejected: 'r' });
    fs.appendFileSync(file, '{"prompt": "two", "chos');
    assert.equal(readPreferences(file).tornTail, true);
    appendPreference(file, { prompt: 'three', chosen: 'c', rejected: 'r' });
    const read = readPreferences(file);
    assert.deepEqual(read.records.map((r) => r.prompt), ['one', 'three']);
    assert.deepEqual(read.skipped.map((s) => s.line), [2]);
    assert.equal(read.tornTail, false);
  });

  it('records a choice between two strategies on the bundled model, which the summary and the CLI read back', async function () {
    this.timeout(300_000);
    const model = await bundledModel();
    const strategies = [strategyFromSettings({ kind: 'greedy' }), strategyFromSettings({ kind: 'temperature', temperature: 2 })];
    for (const person of world('known').slice(0, 3)) {
      const prompt = cityQuestion(person.name);
      const r = await compareStrategies(model, prompt, strategies, { maxNewTokens: 12, seed: 42 });
      // The user prefers the right city; greedy gives it for people the model knows.
      const [greedy, hot] = r.results;
      appendPreference(file, makePreferenceRecord({
        prompt,
        model: r.model,
        chosen: { strategy: greedy!.strategy, completion: greedy!.best },
        rejected: { strategy: hot!.strategy, completion: hot!.best },
      }));
    }
    const read = readPreferences(file);
    assert.equal(read.records.length, 3);
    assert.equal(read.records[0]!.chosen.trim(), `${world('known')[0]!.city}.`);
    const summary = summarizePreferences(read.records);
    assert.deepEqual(summary.standings.map((s) => [s.strategy, s.wins, s.losses]), [['greedy', 3, 0], ['temperature 2', 0, 3]]);
    assert.equal(summary.loss.pairs, 3);

    const csv = path.join(dir, 'export.csv');
    const cli = spawnSync(process.execPath, ['-r', path.join(REPO, 'test', 'support', 'register.cjs'), path.join(REPO, 'src', 'cli', 'main.ts'), 'prefs', file, '--export', csv], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /^3 pairs · 2 strategies · Bradley–Terry prior 1/);
    assert.match(cli.stdout, /^greedy\s+\+\d\.\d{3}\s+0\.\d{3}\s+100%\s+3\s+0$/m);
    assert.match(cli.stdout, /Scorer mean log-prob: pairwise loss \d\.\d{3} \(ln 2 = 0\.693 is chance\)/);
    assert.equal(fs.readFileSync(csv, 'utf8').split('\r\n').length, 5);
  });
});
