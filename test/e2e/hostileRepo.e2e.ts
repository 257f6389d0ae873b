/**
 * A hostile repository in real VS Code (code-server + Chromium, WASM), opened as a folder nobody
 * has trusted, then trusted in the same window. It ships what issue #12 reproduced:
 * `.sampling-lab/preferences.jsonl` as a symlink to a file outside the workspace, a suite whose
 * regex backtracks catastrophically, a `prompt_file` outside the workspace, and a 3,000-deep
 * schema. Restricted Mode must read, parse and write none of it, and say why the Testing and
 * Preferences views are empty; trusting must bring them to life without a reload; and at no point
 * may anything outside the workspace be read or written, or the extension host stop answering.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { birthplacePrompt, knownPerson } from './support/facts';
import { REPO_ROOT } from './support/codeServer';
import { openLab, type Lab } from './support/lab';
import { panelFrame, waitForFinishedCards } from './support/panel';
import { openFile, runCommand, selectLines } from './support/workbench';

/** A preference record naming a strategy no real run has: if the Preferences view shows it, the file outside was read. */
const SENTINEL_STRATEGY = 'SENTINEL-OUTSIDE-THE-WORKSPACE';
const SENTINEL = `${JSON.stringify({ prompt: 'p', chosen: 'a', rejected: 'b', chosen_strategy: SENTINEL_STRATEGY, rejected_strategy: 'other', time: '2026-01-01T00:00:00Z' })}\n`;
/** Backtracks 2^n steps on n characters that do not end in XYZ (issue #12 item 2's shape). */
const REDOS = '^([\\s\\S]|[\\s\\S])*XYZ$';
const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');
/** The longest a command may take to answer while the suites run. */
const RESPONSIVE_MS = 1_000;

/** A schema nested `depth` objects deep, as text (JSON.stringify itself overflows on it). */
function deepSchemaText(depth: number): string {
  return '{"type":"object","properties":{"a":'.repeat(depth) + '{"type":"string"}' + '}}'.repeat(depth);
}

/** Content and mtime of every file under `dir`, to prove nothing there was written. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, file)] = `${fs.statSync(file).mtimeMs}:${fs.readFileSync(file, 'utf8')}`;
  }
  return out;
}

/** Runs "Sampling Lab: Show Log" and returns how long the log took to appear (the extension host answered). */
async function showLogLatencyMs(page: Page): Promise<number> {
  await runCommand(page, 'View: Close Panel').catch(() => undefined);
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.fill('>Sampling Lab: Show Log');
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Sampling Lab: Show Log' }).first().waitFor({ state: 'visible' });
  const started = Date.now();
  await page.keyboard.press('Enter');
  await page.locator('.part.panel .view-lines', { hasText: 'Sampling Lab activated' }).first().waitFor({ state: 'visible', timeout: 60_000 });
  return Date.now() - started;
}

describe('A hostile repository, untrusted then trusted, end to end', function () {
  this.timeout(900_000);
  let lab: Lab | undefined;
  let root: string;
  let workspace: string;
  let outside: string;
  let outsideBefore: Record<string, string>;
  const prompt = birthplacePrompt(knownPerson(3));

  before(() => {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-hostile-'));
    workspace = path.join(root, 'repo');
    outside = path.join(root, 'outside');
    fs.mkdirSync(path.join(workspace, '.sampling-lab'), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'sentinel.jsonl'), SENTINEL);
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'SECRET OUTSIDE THE WORKSPACE');
    fs.symlinkSync(path.join(outside, 'sentinel.jsonl'), path.join(workspace, '.sampling-lab', 'preferences.jsonl'));
    fs.writeFileSync(path.join(workspace, 'prompts.txt'), `${prompt}\n`);
    fs.writeFileSync(path.join(workspace, 'deep.schema.json'), deepSchemaText(3_000));
    fs.writeFileSync(
      path.join(workspace, 'a-redos.prompttest.yaml'),
      // T = 5: a flat distribution rarely ends early, so the output is long enough (~100 characters) to backtrack for ages.
      'cases:\n  - name: backtracks forever\n    settings: { kind: temperature, temperature: 5 }\n    seed: 7\n    max_tokens: 48\n    prompt: "Tell me about"\n' +
        `    assert:\n      - type: regex\n        value: '${REDOS}'\n`,
    );
    fs.writeFileSync(path.join(workspace, 'b-outside.prompttest.yaml'), 'cases:\n  - name: reads outside\n    prompt_file: ../outside/secret.txt\n    assert:\n      - type: contains\n        value: x\n');
    fs.writeFileSync(
      path.join(workspace, 'c-deep.prompttest.yaml'),
      'cases:\n  - name: deep schema\n    prompt: "JSON:"\n    assert:\n      - type: json-schema\n        schema_file: deep.schema.json\n',
    );
    fs.writeFileSync(
      path.join(workspace, 'd-good.prompttest.yaml'),
      `cases:\n  - name: a good case still runs\n    strategy: greedy\n    max_tokens: 8\n    prompt: "Q: Where was Kawe Steiga born?\\nA:"\n    assert:\n      - type: contains\n        value: Belcastro\n`,
    );
    outsideBefore = snapshot(outside);
  });

  after(async () => {
    await lab?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('in Restricted Mode reads nothing of the repository and says why; trusted, it comes alive without a reload, stays responsive, and touches nothing outside', async () => {
    lab = await openLab(workspace, { workspaceTrust: true });
    const { page } = lab;
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ state: 'visible', timeout: 60_000 });

    // A comparison on a selection still runs; marking a pair is refused (nothing written).
    await openFile(page, 'prompts.txt');
    assert.equal(await selectLines(page, 1, 2), prompt.length);
    await runCommand(page, 'Sampling Lab: Compare Strategies on Selection');
    const panel = await panelFrame(page);
    await waitForFinishedCards(panel, 5, 300_000);
    const run = panel.locator('.run').first();
    await run.locator('.card[data-strategy-index="1"] .tok').first().focus();
    await page.keyboard.press('b');
    await run.locator('.card[data-strategy-index="0"] .tok').first().focus();
    await page.keyboard.press('w');
    const refused = run.locator('.preference-status', { hasText: 'Restricted Mode' });
    await refused.waitFor({ state: 'visible', timeout: 30_000 });

    // The Testing view: one item saying why it holds no suites.
    await runCommand(page, 'Testing: Focus on Test Explorer View');
    const why = page.locator('.test-explorer .monaco-list-row', { hasText: 'Trust this workspace to discover its prompt tests' }).first();
    await why.waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal(await page.locator('.test-explorer .monaco-list-row', { hasText: /[a-d]-\w+\.prompttest\.yaml/ }).count(), 0, 'no suite was discovered');
    await page.screenshot({ path: path.join(RESULTS_DIR, 'hostile-untrusted-testing.png') });

    // The Preferences view says why it is empty, with the way to trust.
    await runCommand(page, 'Sampling Lab: Focus on Preferences View');
    await page.locator('.welcome-view-content', { hasText: 'Trust this workspace to see its preference pairs' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await page.locator('.monaco-list-row', { hasText: SENTINEL_STRATEGY }).count(), 0);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'hostile-untrusted-preferences.png') });
    assert.deepEqual(snapshot(outside), outsideBefore, 'nothing outside the workspace was written');
    assert.equal(fs.existsSync(path.join(workspace, '.sampling-lab', 'cache')), false, 'no cache was written in Restricted Mode');

    // Trust the folder, in the same window.
    await runCommand(page, 'Workspaces: Manage Workspace Trust');
    await page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust$/ }).first().click();
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ state: 'hidden', timeout: 60_000 });

    // The suites appear without a reload; the hostile ones do not keep the good one away.
    await runCommand(page, 'Testing: Focus on Test Explorer View');
    for (const suite of ['a-redos', 'b-outside', 'c-deep', 'd-good']) {
      await page.locator('.test-explorer .monaco-list-row', { hasText: `${suite}.prompttest.yaml` }).first().waitFor({ state: 'visible', timeout: 60_000 });
    }
    await why.waitFor({ state: 'hidden', timeout: 10_000 });
    await page.screenshot({ path: path.join(RESULTS_DIR, 'hostile-trusted-testing.png') });

    // Run them all; while they run, the extension host answers a command within a second.
    await runCommand(page, 'Test: Run All Tests');
    const good = page.locator('.test-explorer .monaco-list-row', { hasText: 'd-good.prompttest.yaml' }).first();
    const latencies: number[] = [];
    const deadline = Date.now() + 300_000;
    for (;;) {
      latencies.push(await showLogLatencyMs(page));
      await runCommand(page, 'Testing: Focus on Test Explorer View');
      const icon = (await good.locator('.computed-state').first().getAttribute('class').catch(() => '')) ?? '';
      if (/testing-(passed|failed|errored)/.test(icon)) break;
      if (Date.now() > deadline) throw new Error(`the good suite did not finish within 300 s (${icon}); command latencies ${latencies.join(', ')} ms`);
    }
    console.log(`      Show Log answered in ${latencies.join(', ')} ms while the suites ran`);
    assert.ok(Math.max(...latencies) <= RESPONSIVE_MS, `a command took ${Math.max(...latencies)} ms while the suites ran`);
    assert.match((await good.locator('.computed-state').first().getAttribute('class')) ?? '', /testing-passed/, 'the good suite ran and passed');

    // Trusted or not, nothing outside the workspace was read (the Preferences view never showed
    // the sentinel's record) or written.
    await runCommand(page, 'Sampling Lab: Focus on Preferences View');
    await runCommand(page, 'Sampling Lab: Refresh Preferences');
    await page.locator('.welcome-view-content', { hasText: 'No preference pairs yet' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await page.locator('.monaco-list-row', { hasText: SENTINEL_STRATEGY }).count(), 0, 'the symlinked preferences file was not followed');
    assert.deepEqual(snapshot(outside), outsideBefore, 'nothing outside the workspace was written');
    assert.deepEqual(fs.readdirSync(root).sort(), ['outside', 'repo'], 'nothing new beside the workspace');
  });
});
