/**
 * Workspace Trust in real VS Code (code-server + Chromium, WASM): a folder nobody has trusted
 * opens in Restricted Mode, and its own `samplingLab.model` (here pointing at a folder that is not
 * a model) is ignored, as package.json's restrictedConfigurations declares: the comparison runs on
 * the bundled model instead of loading what the workspace names. Nothing of the repository's is
 * read or written until the user trusts it (the Testing and Preferences views say why they are
 * empty), and trusting brings both to life in the same window.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openLab, type Lab } from './support/lab';
import { birthplacePrompt, knownPerson } from './support/facts';
import { panelFrame, waitForFinishedCards } from './support/panel';
import { comparisonRunsButPairIsRefused, snapshotFiles, testingViewSaysWhy } from './support/trust';
import { openFile, runCommand, selectLines } from './support/workbench';

describe('Workspace Trust, end to end', function () {
  this.timeout(600_000);
  let lab: Lab | undefined;
  let workspace: string;
  const prompt = birthplacePrompt(knownPerson(2));

  before(() => {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-ws-'));
    fs.writeFileSync(path.join(workspace, 'prompts.txt'), `${prompt}\n`);
    fs.mkdirSync(path.join(workspace, '.vscode'));
    fs.mkdirSync(path.join(workspace, 'not-a-model'));
    fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'samplingLab.model': path.join(workspace, 'not-a-model') }));
  });

  afterEach(async () => {
    await lab?.close();
    lab = undefined;
  });
  after(() => fs.rmSync(workspace, { recursive: true, force: true }));

  it('trusted, the same folder\'s model setting is used: its folder is named as not a model', async () => {
    lab = await openLab(workspace);
    const { page } = lab;
    await openFile(page, 'prompts.txt');
    await selectLines(page, 1, 2);
    await runCommand(page, 'Sampling Lab: Compare Strategies on Selection');
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'not-a-model' }).first();
    await toast.waitFor({ state: 'visible', timeout: 60_000 });
    assert.match((await toast.textContent()) ?? '', /not-a-model has no config\.json\. A model folder holds a transformers\.js export/);
  });

  it("in Restricted Mode the workspace's model setting is ignored and the bundled model runs", async () => {
    lab = await openLab(workspace, { workspaceTrust: true });
    const { page } = lab;
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ state: 'visible', timeout: 30_000 });

    await openFile(page, 'prompts.txt');
    assert.equal(await selectLines(page, 1, 2), prompt.length);
    await runCommand(page, 'Sampling Lab: Compare Strategies on Selection');
    const panel = await panelFrame(page);
    const cards = await waitForFinishedCards(panel, 5, 300_000);
    assert.ok(cards.every((c) => c.text.trim().length > 0));
    const meta = (await panel.locator('.run').first().locator('.run-meta').textContent()) ?? '';
    assert.match(meta, /^facts-lm · WASM/, `the bundled model ran: ${meta}`);
  });

  it('in Restricted Mode reads and writes none of its files and says why; trusted, its suites and pairs appear without a reload', async () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-ws-'));
    try {
      fs.writeFileSync(path.join(repo, 'prompts.txt'), `${prompt}\n`);
      fs.mkdirSync(path.join(repo, '.sampling-lab'));
      const pair = { prompt, chosen: ' a', rejected: ' b', chosen_strategy: 'greedy', rejected_strategy: 'top-k 40', time: '2026-01-01T00:00:00Z' };
      fs.writeFileSync(path.join(repo, '.sampling-lab', 'preferences.jsonl'), `${JSON.stringify(pair)}\n`);
      fs.writeFileSync(
        path.join(repo, 'city.prompttest.yaml'),
        `cases:\n  - name: the city\n    strategy: greedy\n    max_tokens: 8\n    prompt: ${JSON.stringify(prompt)}\n    assert:\n      - type: max-tokens\n        value: 8\n`,
      );
      const before = snapshotFiles(repo);
      lab = await openLab(repo, { workspaceTrust: true });
      const { page } = lab;
      await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ state: 'visible', timeout: 60_000 });

      // A comparison on a selection runs; marking a pair is refused, in the panel, saying why.
      await comparisonRunsButPairIsRefused(page, prompt);

      // The Preferences view: why it is empty, and the way to trust; the file is not read.
      await runCommand(page, 'Sampling Lab: Focus on Preferences View');
      const preferencesWhy = page.locator('.welcome-view-content', { hasText: 'Trust this workspace to see its preference pairs' }).first();
      await preferencesWhy.waitFor({ state: 'visible', timeout: 30_000 });
      assert.equal(await page.locator('.monaco-list-row', { hasText: '1 pair' }).count(), 0);
      assert.ok(await preferencesWhy.locator('a, .monaco-button', { hasText: 'Manage Workspace Trust' }).count() > 0, 'with the way to trust');

      // The Testing view: one item saying why, and no suite.
      const testsWhy = await testingViewSaysWhy(page);
      assert.equal(await page.locator('.test-explorer .monaco-list-row', { hasText: 'city.prompttest.yaml' }).count(), 0, 'no suite was read');
      assert.deepEqual(snapshotFiles(repo), before, 'nothing in the repository was written');

      // Trust the folder in the same window: suites and pairs appear, no reload.
      await runCommand(page, 'Workspaces: Manage Workspace Trust');
      await page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust$/ }).first().click();
      await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ state: 'hidden', timeout: 60_000 });
      await runCommand(page, 'Testing: Focus on Test Explorer View');
      await page.locator('.test-explorer .monaco-list-row', { hasText: 'city.prompttest.yaml' }).first().waitFor({ state: 'visible', timeout: 60_000 });
      await testsWhy.waitFor({ state: 'hidden', timeout: 10_000 });
      await runCommand(page, 'Sampling Lab: Focus on Preferences View');
      await page.locator('.monaco-list-row', { hasText: '1 pair' }).first().waitFor({ state: 'visible', timeout: 30_000 });
      assert.equal(await preferencesWhy.count(), 0);
    } finally {
      await lab?.close();
      lab = undefined;
      fs.rmSync(repo, { recursive: true, force: true });
    }
  });
});
