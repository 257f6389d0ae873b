/**
 * The walls between realms hold: each realm's tsconfig refuses the globals and modules its
 * runtime lacks (fixtures under test/fixtures/walls/tsc, each naming the error it must raise),
 * the import checker refuses every forbidden arrow and circle (fixture trees under
 * test/fixtures/walls/imports), and the repo itself passes both, as `npm run typecheck` runs them.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkImports, REALMS, type RealmName } from '../../../tools/check/imports';

const root = path.resolve(__dirname, '..', '..', '..');
const tscFixtures = path.join(root, 'test', 'fixtures', 'walls', 'tsc');
const importFixtures = path.join(root, 'test', 'fixtures', 'walls', 'imports');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');

interface Diagnostic {
  file: string;
  code: string;
  message: string;
}

/** Type-checks `files` with `realm`'s tsconfig (its lib, types and paths), nothing cached, nothing emitted. */
function typeCheckAs(realm: RealmName, files: string[]): { diagnostics: Diagnostic[]; output: string } {
  // Inside the repo, so `types` and packages resolve from its node_modules as the realm's own files do.
  const dir = path.join(root, 'out', 'walls');
  fs.mkdirSync(dir, { recursive: true });
  const config = path.join(dir, `${realm}.tsconfig.json`);
  fs.writeFileSync(config, JSON.stringify({
    extends: path.join(root, REALMS[realm].dir, 'tsconfig.json'),
    // tsgo's incremental cache can miss a change to a global declaration: check from scratch.
    compilerOptions: { composite: false, incremental: false, emitDeclarationOnly: false, noEmit: true, rootDir: root },
    files,
    include: [],
  }));
  const r = spawnSync(process.execPath, [tsc, '-p', config, '--pretty', 'false'], { cwd: root, encoding: 'utf8' });
  const output = `${r.stdout}${r.stderr}`;
  const diagnostics = [...output.matchAll(/^(.+?)\(\d+,\d+\): error (TS\d+): (.*)$/gm)].map((m) => ({
    file: path.resolve(root, m[1]!),
    code: m[2]!,
    message: m[3]!,
  }));
  assert.ok(r.status === 0 || diagnostics.length > 0, `tsc exited ${r.status} without a diagnostic:\n${output}`);
  return { diagnostics, output };
}

/** What a fixture's first line says it must do: `// expect: clean` or `// expect: TS2580 Cannot find name 'process'`. */
function expectation(file: string): { clean: true } | { clean: false; code: string; message: string } {
  const first = fs.readFileSync(file, 'utf8').split('\n')[0]!;
  const m = /^\/\/ expect: (?:(clean)|(TS\d+) (.+))$/.exec(first);
  assert.ok(m, `${file}: the first line must be "// expect: clean" or "// expect: TSnnnn message"`);
  return m[1] ? { clean: true } : { clean: false, code: m[2]!, message: m[3]! };
}

describe('walls between realms', () => {
  describe('each realm type-checks only what its runtime has', () => {
    for (const realm of Object.keys(REALMS) as RealmName[]) {
      it(`${realm}: every fixture fails with its named error, and the allowed one compiles`, function () {
        this.timeout(60_000);
        const dir = path.join(tscFixtures, realm);
        const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts')).sort().map((f) => path.join(dir, f));
        // The realm's own declarations (core's globals.d.ts) are part of its settings.
        const realmDir = path.join(root, REALMS[realm].dir);
        const declarations = fs.readdirSync(realmDir).filter((f) => f.endsWith('.d.ts')).map((f) => path.join(realmDir, f));
        assert.ok(files.some((f) => expectation(f).clean), `${realm} needs an allowed fixture, or a broken harness would pass`);
        assert.ok(files.some((f) => !expectation(f).clean), `${realm} needs a fixture that must fail`);
        const { diagnostics, output } = typeCheckAs(realm, [...declarations, ...files]);
        const stray = diagnostics.filter((d) => !files.includes(d.file));
        assert.deepEqual(stray, [], `errors outside the fixtures mean the harness, not the wall, failed:\n${output}`);
        for (const file of files) {
          const expected = expectation(file);
          const got = diagnostics.filter((d) => d.file === file);
          const name = path.relative(root, file);
          if (expected.clean) assert.deepEqual(got, [], `${name} must compile in ${realm}`);
          else assert.ok(got.some((d) => d.code === expected.code && d.message.includes(expected.message)), `${name} must fail with ${expected.code} "${expected.message}"; got:\n${got.map((d) => `${d.code} ${d.message}`).join('\n') || '(no error)'}`);
        }
      });
    }
  });

  describe('the import checker', () => {
    const cases: [string, RegExp][] = [
      ['worker-imports-vscode', /^webview-ui\/worker\/w\.ts:1: imports the package 'vscode', which is not one of worker's libraries \(vscode only in extension\)$/],
      ['core-imports-node', /^src\/core\/a\.ts:1: imports src\/node\/n\.ts: core may not import node; core may import only core$/],
      ['core-imports-builtin', /^src\/core\/a\.ts:1: imports the Node builtin 'node:fs': core runs outside Node/],
      ['core-references-node-types', /^src\/core\/a\.ts:1: imports the Node builtin 'node: \(\/\/\/ <reference types="node" \/>\)'/],
      ['core-imports-package', /^src\/core\/a\.ts:1: imports the package '@huggingface\/transformers', which is not one of core's libraries/],
      ['protocol-imports-core-value', /^src\/protocol\/p\.ts:1: imports src\/core\/c\.ts as a value: protocol may import core only with `import type`$/],
      ['node-imports-extension', /^src\/node\/n\.ts:1: imports src\/extension\/e\.ts: node may not import extension \(nothing imports extension except extension\)/],
      ['cli-imports-extension', /^src\/cli\/c\.ts:1: imports src\/extension\/e\.ts: cli may not import extension \(nothing imports extension except extension\)/],
      ['extension-imports-panel', /^src\/extension\/e\.ts:2: imports webview-ui\/panel\/v\.ts: extension may not import panel; extension may import only extension, node, core, protocol$/],
      ['panel-imports-worker', /^webview-ui\/panel\/v\.ts:1: imports webview-ui\/worker\/w\.ts: panel may not import worker/],
      ['file-outside-realms', /^webview-ui\/stray\.ts:1: belongs to no realm, so no tsconfig checks it: move it into one of src\/core, /],
      ['circle', /^webview-ui\/panel\/riskView\.ts:1: import circle: webview-ui\/panel\/riskView\.ts -> webview-ui\/panel\/runView\.ts -> webview-ui\/panel\/riskView\.ts$/],
    ];
    for (const [name, expected] of cases) {
      it(`refuses ${name.replace(/-/g, ' ')}`, () => {
        const found = checkImports(path.join(importFixtures, name)).map((v) => `${v.file}:${v.line}: ${v.message}`);
        assert.equal(found.length, 1, `exactly one violation expected, got:\n${found.join('\n')}`);
        assert.match(found[0]!, expected);
      });
    }

    it('passes a tree that uses every allowed arrow', () => {
      assert.deepEqual(checkImports(path.join(importFixtures, 'allowed')), []);
    });

    it('as a command (npm run typecheck runs it), exits 1 on a violation, naming it, and 0 on a clean tree', function () {
      this.timeout(60_000);
      const run = (tree: string) => spawnSync(process.execPath, ['-r', './test/support/register.cjs', 'tools/check/imports.ts', path.join(importFixtures, tree)], { cwd: root, encoding: 'utf8' });
      const bad = run('worker-imports-vscode');
      assert.equal(bad.status, 1, bad.stderr);
      assert.match(bad.stderr, /^webview-ui\/worker\/w\.ts:1: imports the package 'vscode'/m);
      assert.match(bad.stderr, /1 import rule violation\(s\); the realms and their allowed arrows are in docs\/architecture\.md\./);
      const good = run('allowed');
      assert.equal(good.status, 0, good.stderr);
    });

    it('has a fixture tree for every case and a case for every tree', () => {
      const trees = fs.readdirSync(importFixtures).filter((f) => f !== 'allowed').sort();
      assert.deepEqual(trees, cases.map(([name]) => name).sort());
    });
  });

  describe('the repo itself', () => {
    it('breaks no import rule and has no import circle', function () {
      this.timeout(60_000);
      const found = checkImports(root).map((v) => `${v.file}:${v.line}: ${v.message}`);
      assert.deepEqual(found, []);
    });

    it('type-checks in every realm (tsc -b over the realm projects, as npm run typecheck does)', function () {
      this.timeout(300_000);
      const r = spawnSync(process.execPath, [tsc, '-b', '--force', '--pretty', 'false'], { cwd: root, encoding: 'utf8' });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    });
  });
});
