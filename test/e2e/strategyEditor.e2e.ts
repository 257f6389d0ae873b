/**
 * Editing strategies in the panel, by keyboard, in real VS Code (code-server + Chromium, WASM):
 * add, rename, move, duplicate and remove entries, see a bad value explained at its entry, save
 * to user settings (every other setting of an entry kept), follow a change made in settings.json,
 * and run a comparison whose cards come in the saved order; then the toolbar's per-run Max tokens
 * and Stop at: refused out of range, followed by the next run's header and cards, kept across a
 * reload. Issue 16, item 7.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { REPO_ROOT } from './support/codeServer';
import { birthplacePrompt, knownPerson } from './support/facts';
import { openLab, type Lab } from './support/lab';
import { panelFrame, waitForFinishedCards } from './support/panel';
import { openFile, runCommand, selectLines, waitForWorkbench } from './support/workbench';

const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');

const STARTING = [{ kind: 'greedy' }, { name: 'k20', kind: 'top_k', topK: 20, repetitionPenalty: 1.1 }];

/** The name (or, unnamed, the placeholder) of each entry the form shows, in order. */
async function rowNames(panel: FrameLocator): Promise<string[]> {
  return panel.locator('#strategy-editor .strategy-row .strategy-name').evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value || (i as HTMLInputElement).placeholder));
}

/** Where focus is in the panel: the entry's index and the field's name. */
async function focused(panel: FrameLocator): Promise<{ index: number; field: string } | undefined> {
  return panel.locator('body').evaluate(() => {
    const active = document.activeElement as HTMLElement | null;
    const row = active?.closest<HTMLElement>('.strategy-row');
    return row ? { index: Number(row.dataset.index), field: active!.dataset.field ?? '' } : undefined;
  });
}

function userSettings(lab: Lab): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(lab.server.runDir, 'ud', 'User', 'settings.json'), 'utf8')) as Record<string, unknown>;
}

describe('Editing strategies in the panel, end to end (issue 16)', function () {
  this.timeout(900_000);
  let lab: Lab | undefined;
  let workspace: string;
  let panel: FrameLocator;

  before(async () => {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-ws-'));
    fs.writeFileSync(path.join(workspace, 'prompts.txt'), `${birthplacePrompt(knownPerson(0))}\n`);
    lab = await openLab(workspace, { settings: { 'samplingLab.strategies': STARTING, 'samplingLab.maxNewTokens': 8, 'samplingLab.cache.enabled': false } });
  });

  after(async () => {
    await lab?.close();
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  it('adds, renames, moves, duplicates and removes strategies by keyboard, explains a bad value, and saves to user settings', async () => {
    const { page } = lab!;
    await runCommand(page, 'Sampling Lab: Focus on Strategies View');
    panel = await panelFrame(page);
    const editor = panel.locator('#strategy-editor');
    // Shown once the host has said what the setting holds.
    await editor.waitFor({ state: 'visible', timeout: 60_000 });
    await editor.locator('summary').focus();
    await page.keyboard.press('Enter');
    await editor.locator('.strategy-row').nth(1).waitFor({ state: 'visible' });
    assert.deepEqual(await rowNames(panel), ['greedy', 'k20'], 'the form shows the setting');
    assert.match((await editor.locator('summary').textContent()) ?? '', /Strategies \(2\)/);

    // Add a min-p entry: focus lands in its name, which is typed in.
    await editor.locator('.strategy-actions .strategy-kind').selectOption('min_p');
    await editor.locator('.strategy-actions .strategy-kind').focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    assert.deepEqual(await focused(panel), { index: 2, field: 'name' }, 'focus moves to the new entry');
    await page.keyboard.type('floor');
    assert.match((await editor.locator('summary').textContent()) ?? '', /unsaved edits/);

    // Alt+Up twice: it leads, and focus stays with it.
    await page.keyboard.press('Alt+ArrowUp');
    await page.keyboard.press('Alt+ArrowUp');
    assert.deepEqual(await rowNames(panel), ['floor', 'greedy', 'k20']);
    assert.deepEqual(await focused(panel), { index: 0, field: 'name' });

    // Duplicate k20 (its button, by keyboard): the copy follows it and takes focus.
    await editor.locator('.strategy-row').nth(2).locator('[data-field="duplicate"]').focus();
    await page.keyboard.press('Enter');
    assert.deepEqual(await rowNames(panel), ['floor', 'greedy', 'k20', 'k20 copy']);
    assert.deepEqual(await focused(panel), { index: 3, field: 'name' });

    // Remove greedy with Space; focus goes to the entry that took its place.
    await editor.locator('.strategy-row').nth(1).locator('[data-field="remove"]').focus();
    await page.keyboard.press('Space');
    assert.deepEqual(await rowNames(panel), ['floor', 'k20', 'k20 copy']);
    assert.equal((await focused(panel))?.index, 1);

    // A bad value is explained at its entry, and Save waits for the fix.
    const topK = editor.locator('.strategy-row').nth(1).locator('input[data-field="topK"]');
    await topK.fill('2.5');
    const error = editor.locator('.strategy-row').nth(1).locator('.strategy-error');
    await error.waitFor({ state: 'visible' });
    assert.match((await error.textContent()) ?? '', /samplingLab\.strategies\[1\]\.topK must be an integer ≥ 1/);
    assert.equal(await topK.getAttribute('aria-invalid'), 'true');
    const saveButton = editor.locator('.strategy-actions button', { hasText: 'Save' });
    assert.equal(await saveButton.isDisabled(), true, 'no Save while an entry is wrong');
    await topK.fill('30');
    await error.waitFor({ state: 'hidden' });
    await page.screenshot({ path: path.join(RESULTS_DIR, 'strategy-editor.png') });

    await saveButton.focus();
    await page.keyboard.press('Enter');
    const status = editor.locator('.strategy-status');
    await status.filter({ hasText: 'Saved to User settings.' }).waitFor({ state: 'visible', timeout: 60_000 });
    const saved = userSettings(lab!)['samplingLab.strategies'];
    assert.deepEqual(saved, [
      { kind: 'min_p', minP: 0.1, name: 'floor' },
      { name: 'k20', kind: 'top_k', topK: 30, repetitionPenalty: 1.1 },
      { name: 'k20 copy', kind: 'top_k', topK: 20, repetitionPenalty: 1.1 },
    ]);
    assert.doesNotMatch((await editor.locator('summary').textContent()) ?? '', /unsaved/);
  });

  it("follows a change made in a settings file: the workspace's own list, then its removal", async () => {
    const folderSettings = path.join(workspace, '.vscode', 'settings.json');
    fs.mkdirSync(path.dirname(folderSettings), { recursive: true });
    fs.writeFileSync(folderSettings, JSON.stringify({ 'samplingLab.strategies': [{ name: 'from the folder', kind: 'temperature', temperature: 0.5 }] }, null, 2));
    const rows = panel.locator('#strategy-editor .strategy-row');
    await rows.nth(1).waitFor({ state: 'detached', timeout: 60_000 });
    assert.deepEqual(await rowNames(panel), ['from the folder']);
    assert.equal(await panel.locator('#strategy-editor .strategy-target select').inputValue(), 'workspace', 'Save now goes where the list in effect comes from');
    // Without it, the user list (saved above) is in effect again.
    fs.writeFileSync(folderSettings, '{}');
    await rows.nth(2).waitFor({ state: 'attached', timeout: 60_000 });
    assert.deepEqual(await rowNames(panel), ['floor', 'k20', 'k20 copy']);
  });

  it('a comparison then shows its cards in the saved order', async () => {
    const { page } = lab!;
    await openFile(page, 'prompts.txt');
    await selectLines(page, 1, 2);
    await runCommand(page, 'Sampling Lab: Compare Strategies on Selection');
    const cards = await waitForFinishedCards(panel, 3, 300_000);
    assert.deepEqual(
      cards.map((c) => c.strategy),
      ['floor', 'k20', 'k20 copy'],
    );
    assert.match(cards[1]!.chain, /repetition/, 'the entry kept its repetition penalty');
  });

  it("runs the next comparison with the toolbar's Max tokens and Stop at, refuses a value out of range at the field, and keeps both across a reload", async () => {
    const { page } = lab!;
    const maxTokens = panel.locator('#max-tokens');
    const stopAt = panel.locator('#stop-at');
    const fieldError = panel.locator('#run-inputs-error');
    // Blank, it shows the setting's value (samplingLab.maxNewTokens is 8 here).
    assert.equal(await maxTokens.inputValue(), '');
    assert.equal(await maxTokens.getAttribute('placeholder'), '8');
    for (const bad of ['99999', '0', 'ten']) {
      await maxTokens.fill(bad);
      await fieldError.waitFor({ state: 'visible' });
      assert.match((await fieldError.textContent()) ?? '', new RegExp(`Max tokens must be a whole number from 1 to 512 \\(got "${bad}"\\)`));
      assert.equal(await maxTokens.getAttribute('aria-invalid'), 'true');
    }
    await maxTokens.fill('');
    await maxTokens.pressSequentially('3');
    await fieldError.waitFor({ state: 'hidden' });
    // Typed as a person would: a backslash and an n for a line break, a comma between the two.
    await stopAt.pressSequentially('\\n\\n, .');
    assert.equal(await stopAt.inputValue(), '\\n\\n, .');

    await openFile(page, 'prompts.txt');
    await selectLines(page, 1, 2);
    await runCommand(page, 'Sampling Lab: Compare Strategies on Selection');
    const cards = await waitForFinishedCards(panel, 3, 300_000);
    const meta = (await panel.locator('.run').first().locator('.run-meta').textContent()) ?? '';
    assert.match(meta, /max 3 tokens/, meta);
    assert.ok(meta.includes('stops at "\\n\\n", "."'), meta);
    // The model answers " City." at once: the full stop ends the completion there, and its card
    // shows the token that held it, then ∎. Nothing follows a stop string.
    for (const card of cards) assert.ok(card.text.endsWith('.∎') || !card.text.includes('.'), `${card.strategy}: ends at the stop string: ${JSON.stringify(card.text)}`);
    assert.ok(cards.some((c) => c.text.endsWith('.∎')), `a card ended on the stop string: ${JSON.stringify(cards.map((c) => c.text))}`);

    await runCommand(page, 'Developer: Reload Window');
    await waitForWorkbench(page);
    await runCommand(page, 'Sampling Lab: Focus on Strategies View');
    const reloaded = await panelFrame(page);
    await reloaded.locator('#max-tokens').waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal(await reloaded.locator('#max-tokens').inputValue(), '3');
    assert.equal(await reloaded.locator('#stop-at').inputValue(), '\\n\\n, .');
  });
});
