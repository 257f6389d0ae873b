/**
 * What the .vsix carries (vsce ls: the files `npm run package` packs, by .vscodeignore) against
 * what a user of the installed extension is pointed to: the files Show Model Anatomy reads, the
 * bundled model's files its README names, and what the model card names in its own folder.
 * The shipped .vsix once lacked the model card and world/heldout.json.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ANATOMY_FILES } from '../../../src/core/anatomy';

const REPO = path.resolve(__dirname, '..', '..', '..');
const BUNDLED = 'models/facts-lm';

/** Paths written in backticks or as link targets in a Markdown text. */
function mentionedPaths(markdown: string): string[] {
  const ticks = [...markdown.matchAll(/`([\w./-]+\.[a-z]+)`/g)].map((m) => m[1]!);
  const links = [...markdown.matchAll(/\]\(([\w./-]+)\)/g)].map((m) => m[1]!);
  return [...new Set([...ticks, ...links])];
}

describe('the .vsix contents', function () {
  this.timeout(60_000);
  let packed: Set<string>;

  before(() => {
    const vsce = path.join(REPO, 'node_modules', '@vscode', 'vsce', 'vsce');
    packed = new Set(execFileSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: REPO, encoding: 'utf8' }).split('\n').filter(Boolean));
    assert.ok(packed.has('package.json'), `vsce ls listed the package (${[...packed].slice(0, 5).join(', ')})`);
  });

  it('holds every file Show Model Anatomy reads from the bundled model', () => {
    for (const file of Object.values(ANATOMY_FILES)) assert.ok(packed.has(`${BUNDLED}/${file}`), `${BUNDLED}/${file} is packaged`);
  });

  it("holds every file of the extension's folders (models, examples/risk, media) that the README names", () => {
    const named = mentionedPaths(fs.readFileSync(path.join(REPO, 'README.md'), 'utf8')).filter((p) => /^(models|examples\/risk|media)\//.test(p));
    assert.ok(named.includes(`${BUNDLED}/world/heldout.json`), 'the README still points to the held-out people');
    for (const p of named) {
      assert.ok(fs.existsSync(path.join(REPO, p)), `${p}, named in README.md, exists`);
      assert.ok(packed.has(p), `${p}, named in README.md, is packaged`);
    }
  });

  it('holds every file of its own folder that the model card names', () => {
    const card = fs.readFileSync(path.join(REPO, BUNDLED, 'README.md'), 'utf8');
    // Paths into the repository (tools/…) are about how it was built, not what ships.
    const named = mentionedPaths(card).filter((p) => fs.existsSync(path.join(REPO, BUNDLED, p)));
    assert.ok(named.length >= 5, `the card names its files (${named.join(', ')})`);
    for (const p of named) assert.ok(packed.has(`${BUNDLED}/${p}`), `${BUNDLED}/${p}, named in the model card, is packaged`);
  });
});
