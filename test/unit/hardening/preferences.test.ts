/** The preferences file as a hand-edited or hostile repository may ship it (issue 12, item 8). */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { csvField, parsePreferencesJsonl, toCsv } from '../../../src/core/preferences';
import { REPO } from '../../support/model';

const line = (r: object) => `${JSON.stringify(r)}\n`;

describe('hardening: the preferences file', () => {
  it('hardening: a record whose strategy name is not text is skipped with a reason, and `prefs` does not crash', () => {
    const text = line({ prompt: 'p', chosen: 'a', rejected: 'b', chosen_strategy: 42, rejected_strategy: 'greedy' }) + line({ prompt: 'p', chosen: 'a', rejected: 'b', chosen_strategy: 'greedy', rejected_strategy: 'top-p' });
    const read = parsePreferencesJsonl(text);
    assert.equal(read.records.length, 1);
    assert.deepEqual(read.skipped, [{ line: 1, reason: '"chosen_strategy" must be text (got a number)' }]);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-prefs-'));
    try {
      const file = path.join(dir, 'prefs.jsonl');
      fs.writeFileSync(file, text);
      const r = spawnSync(process.execPath, ['-r', path.join(REPO, 'test', 'support', 'register.cjs'), path.join(REPO, 'src', 'cli', 'main.ts'), 'prefs', file], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /prefs\.jsonl:1: skipped: "chosen_strategy" must be text/);
      assert.match(r.stdout, /^1 pairs · 2 strategies/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hardening: a BOM does not cost the first record', () => {
    const read = parsePreferencesJsonl(`\uFEFF${line({ prompt: 'first', chosen: 'a', rejected: 'b' })}${line({ prompt: 'second', chosen: 'a', rejected: 'b' })}`);
    assert.deepEqual(read.records.map((r) => r.prompt), ['first', 'second']);
    assert.deepEqual(read.skipped, []);
  });

  it('hardening: CSV cells a spreadsheet would run as a formula (= + - @ tab CR) start with an apostrophe', () => {
    for (const evil of ['=HYPERLINK("http://x")', '+1+cmd|calc', '-2+3', '@SUM(A1)', '\tTAB', '\rCR']) {
      assert.ok(csvField(evil).replace(/^"/, '').startsWith("'"), `${JSON.stringify(evil)} → ${csvField(evil)}`);
    }
    assert.equal(csvField('=1+1'), "'=1+1");
    assert.equal(csvField('=a,b'), `"'=a,b"`);
    // Numbers are numbers, not formulas; ordinary text is untouched.
    assert.equal(csvField(-1.25), '-1.25');
    assert.equal(csvField(' Belcastro.'), ' Belcastro.');
    assert.match(toCsv([{ prompt: '=cmd', chosen: 'a', rejected: 'b' }]), /\r\n'=cmd,a,b,/);
  });

  it('hardening: a record appended after a line a crash cut off is recovered; only the cut-off part is lost', () => {
    const torn = '{"prompt":"two","chosen":"c';
    const read = parsePreferencesJsonl(line({ prompt: 'one', chosen: 'a', rejected: 'b' }) + torn + line({ prompt: 'three', chosen: 'a', rejected: 'b' }));
    assert.deepEqual(read.records.map((r) => r.prompt), ['one', 'three']);
    assert.deepEqual(read.skipped.map((s) => s.line), [2]);
    assert.equal(read.tornTail, false);
  });
});
