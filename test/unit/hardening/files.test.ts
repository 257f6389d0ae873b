/**
 * Files a repository names or plants (issue 12, items 3, 4 and 8): suite-named files stay in the
 * workspace, regular and capped; `.sampling-lab/` is never written through a symlink; a forged
 * cache entry is a miss.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { planGeneration, type CaseGeneration } from '../../../src/core/prompttest';
import { appendPreference, preferencesPath, readPreferences, readPreferencesAsync } from '../../../src/node/preferencesFile';
import { DEFAULT_CACHE_DIR, PromptTestCache, readSuiteFile } from '../../../src/node/promptTestRunner';
import { appendLineNoFollow, readWorkspaceFile, writeFileNoFollow } from '../../../src/node/safeFiles';

function suite(caseLines: string): string {
  return `cases:\n  - name: one\n${caseLines}\n    assert:\n      - type: contains\n        value: x\n`;
}

describe('hardening: files a suite names', () => {
  let tmp: string;
  let root: string;
  let outside: string;
  beforeEach(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sl-files-')));
    root = path.join(tmp, 'workspace');
    outside = path.join(tmp, 'outside');
    fs.mkdirSync(path.join(root, 'prompts'), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'TOP-SECRET-CONTENT line one\n');
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  async function problemsOf(text: string, limits: { promptFileBytes?: number; schemaFileBytes?: number } = {}): Promise<string[]> {
    const file = path.join(root, 'prompts', 'a.prompttest.yaml');
    fs.writeFileSync(file, text);
    const parsed = await readSuiteFile(file, { root, ...limits });
    return parsed.problems.map((p) => p.message);
  }

  it('hardening: a prompt_file outside the workspace is refused by name and rule, its content never shown', async () => {
    const problems = await problemsOf(suite('    prompt_file: ../../outside/secret.txt'));
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0]!, /prompt_file "\.\.\/\.\.\/outside\/secret\.txt" is outside the workspace/);
    assert.doesNotMatch(problems[0]!, /TOP-SECRET/);
  });

  it('hardening: a symlink inside the workspace that points outside is refused too', async () => {
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'prompts', 'link.txt'));
    const problems = await problemsOf(suite('    prompt_file: link.txt'));
    assert.match(problems.join('\n'), /prompt_file "link\.txt" is outside the workspace .*after following symlinks/);
    assert.doesNotMatch(problems.join('\n'), /TOP-SECRET/);
  });

  it('hardening: /dev/zero, a FIFO and a folder are refused as not regular files, without hanging', async () => {
    fs.symlinkSync('/dev/zero', path.join(root, 'prompts', 'zero.txt'));
    // Confinement is checked first; a device inside the workspace must be refused as not regular.
    await assert.rejects(readWorkspaceFile('/dev', '/dev/zero', { kind: 'prompt_file', maxBytes: 1024 }), /prompt_file "\/dev\/zero" is not a regular file/);
    const fifo = path.join(root, 'prompts', 'fifo.txt');
    const mk = spawn('mkfifo', [fifo]);
    await new Promise((resolve) => mk.on('exit', resolve));
    await assert.rejects(readWorkspaceFile(root, fifo, { kind: 'prompt_file', maxBytes: 1024 }), /is not a regular file \(a device, pipe or socket\)/);
    const problems = await problemsOf(suite('    prompt_file: fifo.txt'));
    assert.match(problems.join('\n'), /not a regular file/);
    assert.match((await problemsOf(suite('    prompt_file: .'))).join('\n'), /is not a regular file \(a folder\)/);
  });

  it('hardening: a prompt_file over the size limit is refused, naming the limit and its setting', async () => {
    fs.writeFileSync(path.join(root, 'prompts', 'big.txt'), 'x'.repeat(2048));
    const problems = await problemsOf(suite('    prompt_file: big.txt'), { promptFileBytes: 1024 });
    assert.match(problems.join('\n'), /prompt_file "big\.txt" is 2 KB; the limit is 1 KB \(samplingLab\.limits\.promptFileBytes\)/);
    const schema = await problemsOf(suite('    prompt: hi').replace('type: contains\n        value: x', 'type: json-schema\n        schema_file: big.txt'), { schemaFileBytes: 1000 });
    assert.match(schema.join('\n'), /schema_file "big\.txt" is 2 KB; the limit is 1000 bytes \(samplingLab\.limits\.schemaFileBytes\)/);
  });

  it('hardening: a schema_file with a BOM parses, and a prompt_file inside the workspace is read', async () => {
    fs.writeFileSync(path.join(root, 'prompts', 's.json'), '\uFEFF{ "type": "object" }');
    fs.writeFileSync(path.join(root, 'prompts', 'p.txt'), '\uFEFFQ: hi\nA:\n');
    const file = path.join(root, 'prompts', 'a.prompttest.yaml');
    fs.writeFileSync(file, suite('    prompt_file: p.txt').replace('type: contains\n        value: x', 'type: json-schema\n        schema_file: s.json'));
    const parsed = await readSuiteFile(file, { root });
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.cases[0]!.prompt, 'Q: hi\nA:');
  });
});

describe('hardening: writes under .sampling-lab/', () => {
  let tmp: string;
  let root: string;
  let target: string;
  beforeEach(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sl-writes-')));
    root = path.join(tmp, 'workspace');
    fs.mkdirSync(root);
    target = path.join(tmp, 'bashrc');
    fs.writeFileSync(target, '# my shell rc\n');
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('hardening: a preference mark refuses a preferences.jsonl that is a symlink, and the target is untouched', () => {
    fs.mkdirSync(path.join(root, '.sampling-lab'));
    fs.symlinkSync(target, preferencesPath(root));
    assert.throws(() => appendPreference(preferencesPath(root), { prompt: '$(touch /tmp/pwned)', chosen: 'a', rejected: 'b' }), /Refusing to write through .*preferences\.jsonl: it is a symlink/);
    assert.equal(fs.readFileSync(target, 'utf8'), '# my shell rc\n');
    assert.throws(() => readPreferences(preferencesPath(root)), /Refusing to read .*: it is a symlink/);
  });

  it('hardening: the preferences file is read asynchronously too, refusing a symlink, and a missing one is empty', async () => {
    assert.deepEqual(await readPreferencesAsync(preferencesPath(root)), { records: [], skipped: [], tornTail: false });
    appendPreference(preferencesPath(root), { prompt: 'p', chosen: 'a', rejected: 'b' });
    assert.deepEqual((await readPreferencesAsync(preferencesPath(root))).records, [{ prompt: 'p', chosen: 'a', rejected: 'b' }]);
    fs.rmSync(preferencesPath(root));
    fs.symlinkSync(target, preferencesPath(root));
    await assert.rejects(readPreferencesAsync(preferencesPath(root)), /Refusing to read .*: it is a symlink/);
  });

  it('hardening: a .sampling-lab folder that is a symlink is refused for preferences and the cache', () => {
    const elsewhere = path.join(tmp, 'elsewhere');
    fs.mkdirSync(elsewhere);
    fs.symlinkSync(elsewhere, path.join(root, '.sampling-lab'));
    assert.throws(() => appendPreference(preferencesPath(root), { prompt: 'p', chosen: 'a', rejected: 'b' }), /\.sampling-lab: it is a symlink/);
    const cache = new PromptTestCache(path.join(root, DEFAULT_CACHE_DIR), root);
    assert.throws(() => cache.set('k', { runs: [], deterministic: false, riskSamples: {} }), /\.sampling-lab: it is a symlink/);
    assert.deepEqual(fs.readdirSync(elsewhere), []);
  });

  it('hardening: a cache folder or entry that is a symlink is neither written through nor read', () => {
    fs.mkdirSync(path.join(root, '.sampling-lab'));
    fs.symlinkSync(tmp, path.join(root, '.sampling-lab', 'cache'));
    const cache = new PromptTestCache(path.join(root, DEFAULT_CACHE_DIR), root);
    assert.throws(() => cache.set('k', { runs: [], deterministic: false, riskSamples: {} }), /cache: it is a symlink/);
    fs.rmSync(path.join(root, '.sampling-lab', 'cache'));
    fs.mkdirSync(path.join(root, DEFAULT_CACHE_DIR), { recursive: true });
    const entry = path.join(root, DEFAULT_CACHE_DIR, `${PromptTestCache.keyHash('k')}.json`);
    fs.writeFileSync(path.join(tmp, 'planted.json'), JSON.stringify({ key: 'k', generation: { runs: [], deterministic: false, riskSamples: {} } }));
    fs.symlinkSync(path.join(tmp, 'planted.json'), entry);
    assert.equal(cache.get('k'), undefined);
    // Writing replaces the link itself, never its target.
    cache.set('k', { runs: [], deterministic: false, riskSamples: {} });
    assert.equal(fs.lstatSync(entry).isSymbolicLink(), false);
    assert.match(fs.readFileSync(path.join(tmp, 'planted.json'), 'utf8'), /"key":"k"/);
  });

  it('hardening: writeFileNoFollow and appendLineNoFollow take only whole lines and real folders', () => {
    assert.throws(() => appendLineNoFollow(path.join(root, 'f'), 'two\nlines\n'), /exactly one line/);
    writeFileNoFollow(path.join(root, 'a', 'b', 'c.txt'), 'ok', root);
    assert.equal(fs.readFileSync(path.join(root, 'a', 'b', 'c.txt'), 'utf8'), 'ok');
  });

  it('hardening: a forged cache entry with the wrong run count is a miss, not "5000/5000 runs passed"', () => {
    const cache = new PromptTestCache(path.join(root, DEFAULT_CACHE_DIR), root);
    const run = { text: ' x', tokenLogprobs: [-0.1], meanLogprob: -0.1, seed: 42, finishReason: 'eos' as const };
    const plan = planGeneration({
      name: 'c', prompt: 'p', vars: {}, strategy: { name: 'greedy', kind: 'greedy', sampler: { stages: [], select: 'greedy' } },
      repeat: 5, maxNewTokens: 8, seed: 42, stopStrings: [], passRate: 1, assertions: [], range: { line: 1, column: 1, endLine: 1, endColumn: 1 }, nameRange: { line: 1, column: 1, endLine: 1, endColumn: 1 },
    } as never);
    const forged: CaseGeneration = { runs: Array.from({ length: 5000 }, () => run), deterministic: false, riskSamples: {} };
    cache.set('k', forged);
    assert.equal(cache.get('k', plan), undefined);
    const honest: CaseGeneration = { runs: Array.from({ length: 5 }, () => run), deterministic: false, riskSamples: {} };
    cache.set('k', honest);
    assert.equal(cache.get('k', plan)?.runs.length, 5);
  });
});
