/**
 * Workspace Trust in real VS Code (code-server + Chromium, WASM): a folder nobody has trusted
 * opens in Restricted Mode, and its own `samplingLab.model` (here pointing at a folder that is not
 * a model) is ignored, as package.json's restrictedConfigurations declares: the comparison runs on
 * the bundled model instead of loading what the workspace names.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openLab, type Lab } from './support/lab';
import { birthplacePrompt, knownPerson } from './support/facts';
import { panelFrame, waitForFinishedCards } from './support/panel';
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
});
