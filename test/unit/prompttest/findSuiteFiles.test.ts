import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { globFiles, globToRegExp } from '../../../src/node/globFiles';
import { findSuiteFiles } from '../../../src/node/promptTestRunner';

describe('finding suite files', () => {
  let root: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-suites-'));
    for (const f of ['a.prompttest.yaml', 'prompts/b.prompttest.yaml', 'prompts/deep/c.prompttest.yml', 'prompts/notes.yaml', 'node_modules/x/d.prompttest.yaml']) {
      fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      fs.writeFileSync(path.join(root, f), 'cases: []\n');
    }
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('turns globs into whole-path patterns: ** crosses folders, * and ? do not', () => {
    const re = globToRegExp('prompts/**/*.prompttest.{yaml,yml}');
    assert.ok(re.test('prompts/b.prompttest.yaml'));
    assert.ok(re.test('prompts/deep/c.prompttest.yml'));
    assert.ok(!re.test('other/b.prompttest.yaml'));
    assert.ok(globToRegExp('p?/*.yaml').test('p1/x.yaml'));
    assert.ok(!globToRegExp('*.yaml').test('p1/x.yaml'));
    assert.ok(globToRegExp('[ab].txt').test('a.txt') && !globToRegExp('[!ab].txt').test('a.txt'));
  });

  it('finds every suite below the folder by default, skipping node_modules', () => {
    assert.deepEqual(findSuiteFiles([], root), ['a.prompttest.yaml', 'prompts/b.prompttest.yaml', 'prompts/deep/c.prompttest.yml'].map((f) => path.normalize(f)));
  });

  it('takes files as they are, searches folders, and expands globs', () => {
    assert.deepEqual(findSuiteFiles(['prompts/notes.yaml'], root), [path.normalize('prompts/notes.yaml')]);
    assert.deepEqual(findSuiteFiles(['prompts/deep'], root), [path.normalize('prompts/deep/c.prompttest.yml')]);
    assert.deepEqual(globFiles('prompts/*.yaml', root), ['prompts/b.prompttest.yaml', 'prompts/notes.yaml'].map((f) => path.normalize(f)));
    assert.deepEqual(findSuiteFiles(['nothing/*.yaml'], root), []);
  });
});
