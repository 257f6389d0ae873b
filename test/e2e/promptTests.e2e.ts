/**
 * Prompt tests in the Testing view of real VS Code (code-server + Chromium, WASM): a workspace
 * with the example suites, "Test: Run All Tests" from the palette, and the Test Explorer's pass
 * and fail marks on the suites and cases, as a user sees them. The model runs in the Strategies
 * panel's worker, which the run opens once.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from './support/codeServer';
import { openLab, type Lab } from './support/lab';
import { iconState } from './support/testing';
import { openFile, runCommand, widenSideBar } from './support/workbench';

const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');

/** The Test Explorer's rows: label and the state its icon shows. */
async function testRows(page: Page): Promise<{ label: string; state: string; aria: string }[]> {
  const rows = page.locator('.test-explorer .monaco-list-row');
  const out: { label: string; state: string; aria: string }[] = [];
  for (let i = 0; i < (await rows.count()); i++) {
    const row = rows.nth(i);
    // The label's own text, without the description span that follows it.
    const label = await row.locator('.label').first().evaluate((e) => (e.firstChild?.textContent ?? '').trim());
    out.push({ label, state: await iconState(row), aria: (await row.getAttribute('aria-label')) ?? '' });
  }
  return out;
}

describe('Prompt tests in the Testing view, end to end', function () {
  this.timeout(600_000);
  let lab: Lab | undefined;
  let workspace: string;

  before(() => {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-ws-'));
    fs.cpSync(path.join(REPO_ROOT, 'examples', 'prompts'), path.join(workspace, 'prompts'), { recursive: true });
  });

  after(async () => {
    await lab?.close();
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  it('Run All Tests marks the known-people suite passed and the held-out suite failed, case by case', async () => {
    lab = await openLab(workspace);
    const { page } = lab;

    await runCommand(page, 'Testing: Focus on Test Explorer View');
    const known = page.locator('.test-explorer .monaco-list-row', { hasText: 'known-people.prompttest.yaml' }).first();
    await known.waitFor({ state: 'visible', timeout: 60_000 });
    // Open during the run, so VS Code puts the failure messages into it.
    await openFile(page, 'heldout-people.prompttest.yaml');
    await runCommand(page, 'Test: Run All Tests');

    // The run opens the Strategies panel to load the model, then hands the sidebar back.
    const heldOut = page.locator('.test-explorer .monaco-list-row', { hasText: 'heldout-people.prompttest.yaml' }).first();
    const deadline = Date.now() + 300_000;
    for (;;) {
      await runCommand(page, 'Testing: Focus on Test Explorer View').catch(() => undefined);
      const states = [await iconState(known), await iconState(heldOut)];
      if (states[0] === 'passed' && states[1] === 'failed') break;
      if (Date.now() > deadline) throw new Error(`suite states after 300 s: ${states.join(', ')}`);
      await page.waitForTimeout(1000);
    }

    // Expand both suites: six cases pass, and the two designed to fail are the failed ones.
    await runCommand(page, 'Testing: Focus on Test Explorer View');
    await page.keyboard.press('Home');
    await known.click();
    await page.keyboard.press('ArrowRight');
    await heldOut.click();
    await page.keyboard.press('ArrowRight');
    // Both expanded: a case of each is listed.
    for (const name of ["a held-out person's birthplace is low risk (fails)", 'Kawe Steiga was born in Belcastro']) {
      await page.locator('.test-explorer .monaco-list-row', { hasText: name }).first().waitFor({ state: 'visible', timeout: 30_000 });
    }
    await widenSideBar(page, 700);
    const rows = (await testRows(page)).filter((r) => !r.label.endsWith('.yaml'));
    const shot = path.join(RESULTS_DIR, 'prompt-tests.png');
    await page.screenshot({ path: shot });
    console.log(`      ${path.relative(REPO_ROOT, shot)}`);
    for (const r of rows) console.log(`        ${r.state.padEnd(7)} ${r.label}  [${r.aria}]`);
    const failed = rows.filter((r) => r.state === 'failed').map((r) => r.label).sort();
    assert.deepEqual(failed, ["a held-out person's birthplace is low risk (fails)", 'sampling names the true city in 4 of 5 runs (fails)']);
    assert.equal(rows.filter((r) => r.state === 'passed').length, 6, JSON.stringify(rows));
    // The failures are in the YAML itself: a failed assertion's message sits at its line (the
    // editor's inline test message), here in the suite that was open during the run.
    await page.locator('.tab', { hasText: 'heldout-people.prompttest.yaml' }).first().click();
    const inline = page.locator('.monaco-editor').getByText(/max-risk ≤ 0\.3 held in 0\/1 runs \(0%\)/).first();
    await inline.waitFor({ state: 'visible', timeout: 30_000 });
    const shotInline = path.join(RESULTS_DIR, 'prompt-tests-inline.png');
    await page.screenshot({ path: shotInline });
    console.log(`      ${path.relative(REPO_ROOT, shotInline)}`);

    // A screen reader hears each case by its name and result.
    for (const r of rows) assert.match(r.aria, new RegExp(`^${r.label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\((Passed|Failed)\\)`), r.aria);
  });
});
