/**
 * The packaged extension: `npm run package` builds the .vsix, code-server installs it
 * (--install-extension), and a command runs from it, on the bundled model, with nothing from
 * the working tree: proof that .vscodeignore keeps everything the extension needs.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT, startCodeServer, type CodeServer } from './support/codeServer';
import { birthplacePrompt, knownPerson } from './support/facts';
import { EXTENSION_ID, panelBackend, panelFrame, waitForFinishedCards } from './support/panel';
import { findWebviewFrame, openFile, openWorkbench, runCommand, selectLines, waitForWorkbench, type Workbench } from './support/workbench';

describe('the packaged .vsix', function () {
  this.timeout(600_000);
  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;
  let workspace: string;
  const vsix = path.join(REPO_ROOT, 'sampling-lab.vsix');

  before(() => {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-ws-'));
    fs.writeFileSync(path.join(workspace, 'prompts.txt'), `${birthplacePrompt(knownPerson(1))}\n`);
  });

  after(async () => {
    await workbench?.close();
    await server?.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  it('npm run package builds a .vsix without sources, tests or node_modules, but with node-llama-cpp for this platform', () => {
    const started = Date.now();
    execFileSync('npm', ['run', '--silent', 'package'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'], timeout: 300_000 });
    const size = fs.statSync(vsix).size;
    const listing = execFileSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', '@vscode', 'vsce', 'vsce'), 'ls', '--no-dependencies'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    }).split('\n');
    console.log(`      sampling-lab.vsix: ${(size / (1 << 20)).toFixed(1)} MB (${((Date.now() - started) / 1000).toFixed(1)} s), ${listing.filter(Boolean).length} files`);
    for (const forbidden of [/^src\//, /^test\//, /^tools\//, /^node_modules\//, /\.map$/, /^dist\/cli\.js$/, /^webview-ui\//]) {
      assert.ok(!listing.some((f) => forbidden.test(f)), `no file matches ${forbidden}`);
    }
    for (const needed of ['dist/extension.js', 'dist/webview.js', 'dist/worker.js', 'dist/ort-wasm-simd-threaded.asyncify.wasm', 'models/facts-lm/onnx/model.onnx', 'models/facts-lm/README.md', 'models/facts-lm/world/heldout.json', 'LICENSE', 'dist/node_modules/node-llama-cpp/package.json']) {
      assert.ok(listing.includes(needed), `${needed} is packaged`);
    }
    // node-llama-cpp (GGUF models) with this platform's binary only (tools/package/llamaCppFiles.js).
    const binaries = new Set(listing.map((f) => /^dist\/node_modules\/@node-llama-cpp\/([^/]+)\//.exec(f)?.[1]).filter((b) => b !== undefined));
    assert.equal(binaries.size, 1, `one platform's binary: ${[...binaries].join(', ')}`);
    assert.ok(listing.some((f) => /^dist\/node_modules\/@node-llama-cpp\/[^/]+\/bins\/.+\.node$/.test(f)), 'the native addon is packaged');
  });

  it('installs into code-server and runs Compare Strategies on Selection from it', async () => {
    server = await startCodeServer({ workspace, installVsix: vsix, settings: { 'samplingLab.device': 'wasm' } });
    const installed = fs.readdirSync(path.join(server.runDir, 'ext')).filter((d) => d.startsWith('sampling-lab.sampling-lab-'));
    assert.equal(installed.length, 1, 'the extension is in the extensions folder');

    workbench = await openWorkbench(server.workbenchUrl(), { gpu: 'disabled' });
    const { page } = workbench;
    await waitForWorkbench(page);
    await openFile(page, 'prompts.txt');
    await selectLines(page, 1, 2);
    await runCommand(page, 'Sampling Lab: Compare Strategies on Selection');
    const panel = await panelFrame(page);
    const cards = await waitForFinishedCards(panel, 5, 300_000);
    assert.ok(cards.every((c) => c.text.trim().length > 0));
    assert.equal(await panelBackend(panel), 'wasm');
    await page.screenshot({ path: path.join(REPO_ROOT, 'test-results', 'vsix-smoke.png') });
  });

  it("Show Model Anatomy from the .vsix states the training tokens of the model card it ships", async () => {
    const { page } = workbench!;
    // The number the card's front matter states; the installed copy must read the same card.
    const card = fs.readFileSync(path.join(REPO_ROOT, 'models', 'facts-lm', 'README.md'), 'utf8');
    const stated = Number(/^training_tokens:\s*(\d+)/m.exec(card)?.[1]);
    assert.ok(stated > 0, 'the model card states its training tokens');
    await runCommand(page, 'Sampling Lab: Show Model Anatomy');
    const anatomy = await findWebviewFrame(page, EXTENSION_ID, '#components');
    const trained = (await anatomy.locator('[data-fact="trainingTokens"]').textContent()) ?? '';
    assert.ok(trained.includes(stated.toLocaleString('en-US')), `Anatomy says "${trained}", not ${stated.toLocaleString('en-US')} tokens`);
    assert.doesNotMatch(trained, /not stated/);
  });
});
