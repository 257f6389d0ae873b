/**
 * A hostile repository in real VS Code (code-server + Chromium, WASM), opened as a folder nobody
 * has trusted. It ships what issue #12 reproduced: `.sampling-lab/preferences.jsonl` as a symlink
 * to a file outside the workspace, a suite whose regex backtracks catastrophically, a
 * `prompt_file` outside the workspace, and a 3,000-deep schema. Restricted Mode must read, parse
 * and write none of it and say why the Testing and Preferences views are empty; nothing outside
 * the workspace may be read or written, and the extension host keeps answering. Then the user
 * trusts the folder in the same window: the suites are discovered and run, and each hostile one
 * fails on its own with a clear reason (a linear-time regex that does not match, a file outside the
 * workspace named by rule, a schema too deep) while the good suite passes; the preference mark is
 * refused at the symlink; and still nothing outside the workspace is read or written.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { birthplacePrompt, knownPerson } from './support/facts';
import { REPO_ROOT } from './support/codeServer';
import { openLab, type Lab } from './support/lab';
import { comparisonRunsButPairIsRefused, snapshotFiles, testingViewSaysWhy } from './support/trust';
import { panelFrame } from './support/panel';
import { iconState } from './support/testing';
import { openPalette, runCommand } from './support/workbench';

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

/** Runs "Sampling Lab: Show Log" and returns how long the log took to appear (the extension host answered). */
async function showLogLatencyMs(page: Page): Promise<number> {
  // Closed first, so the log's appearing is this command's doing. Only when open: the command is
  // not listed otherwise, and runCommand would wait out its deadline for it.
  if (await page.locator('.part.panel').isVisible()) await runCommand(page, 'View: Close Panel', 10_000).catch(() => undefined);
  await openPalette(page);
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.fill('>Sampling Lab: Show Log');
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Sampling Lab: Show Log' }).first().waitFor({ state: 'visible' });
  const started = Date.now();
  await page.keyboard.press('Enter');
  // The log's lines carry a level; after a long run the first line ("activated") has scrolled out of view.
  await page.locator('.part.panel .view-lines', { hasText: /\[(info|warning|error)\]/ }).first().waitFor({ state: 'visible', timeout: 60_000 });
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
    outsideBefore = snapshotFiles(outside);
  });

  after(async () => {
    await lab?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('in Restricted Mode reads, parses and writes none of it, says why, and the host keeps answering', async () => {
    lab = await openLab(workspace, { workspaceTrust: true });
    const { page } = lab;
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ state: 'visible', timeout: 60_000 });

    // A comparison on a selection still runs; marking a pair is refused: nothing is written through the symlink.
    await comparisonRunsButPairIsRefused(page, prompt);

    // The Testing view: one item saying why; none of the hostile suites was parsed.
    await testingViewSaysWhy(page);
    assert.equal(await page.locator('.test-explorer .monaco-list-row', { hasText: /[a-d]-\w+\.prompttest\.yaml/ }).count(), 0, 'no suite was discovered');
    await page.screenshot({ path: path.join(RESULTS_DIR, 'hostile-untrusted-testing.png') });

    // Run All Tests runs nothing; meanwhile the extension host answers a command within a second.
    // Once before the suites run: the first showing builds the Output view (half a second in
    // the renderer, not the extension host), so the measured ones time the host's answer.
    await showLogLatencyMs(page);
    await runCommand(page, 'Test: Run All Tests');
    const latencies: number[] = [];
    for (let i = 0; i < 3; i++) latencies.push(await showLogLatencyMs(page));
    console.log(`      Show Log answered in ${latencies.join(', ')} ms`);
    assert.ok(Math.max(...latencies) <= RESPONSIVE_MS, `a command took ${Math.max(...latencies)} ms`);

    // The Preferences view says why it is empty; the symlink's target (a record) was not read.
    await runCommand(page, 'Sampling Lab: Focus on Preferences View');
    await runCommand(page, 'Sampling Lab: Refresh Preferences');
    await page.locator('.welcome-view-content', { hasText: 'Trust this workspace to see its preference pairs' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await page.locator('.monaco-list-row', { hasText: SENTINEL_STRATEGY }).count(), 0, 'the symlinked preferences file was not read');
    await page.screenshot({ path: path.join(RESULTS_DIR, 'hostile-untrusted-preferences.png') });

    assert.deepEqual(snapshotFiles(outside), outsideBefore, 'nothing outside the workspace was written');
    assert.equal(fs.existsSync(path.join(workspace, '.sampling-lab', 'cache')), false, 'no cache was written in Restricted Mode');
    assert.deepEqual(fs.readdirSync(root).sort(), ['outside', 'repo'], 'nothing new beside the workspace');
  });
  it('trusted, each hostile suite fails on its own with a clear reason, the good one passes, and the host keeps answering', async () => {
    assert.ok(lab, 'the Restricted Mode phase opened the window');
    const { page } = lab;
    await runCommand(page, 'Workspaces: Manage Workspace Trust');
    await page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust$/ }).first().click();
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ state: 'hidden', timeout: 60_000 });

    // Discovery: every suite is listed, the good one with its case, and the host did not stall on any.
    await runCommand(page, 'Testing: Focus on Test Explorer View');
    const row = (name: string) => page.locator('.test-explorer .monaco-list-row', { hasText: name }).first();
    for (const name of ['a-redos.prompttest.yaml', 'b-outside.prompttest.yaml', 'c-deep.prompttest.yaml', 'd-good.prompttest.yaml']) {
      await row(name).waitFor({ state: 'visible', timeout: 60_000 });
    }

    // Run everything; while the suites run, a command answers within a second.
    // Once before the suites run: the first showing builds the Output view (half a second in
    // the renderer, not the extension host), so the measured ones time the host's answer.
    await showLogLatencyMs(page);
    await runCommand(page, 'Test: Run All Tests');
    const latencies: number[] = [];
    for (let i = 0; i < 3; i++) latencies.push(await showLogLatencyMs(page));
    console.log(`      Show Log answered in ${latencies.join(', ')} ms while the suites ran`);
    assert.ok(Math.max(...latencies) <= RESPONSIVE_MS, `a command took ${Math.max(...latencies)} ms`);

    // The good suite passes and the ReDoS suite fails (its regex runs in linear time and does not
    // match); neither waits on the other. The run ends: nothing stays queued or running.
    const deadline = Date.now() + 300_000;
    let states: string[] = [];
    for (;;) {
      await runCommand(page, 'Testing: Focus on Test Explorer View').catch(() => undefined);
      states = [await iconState(row('a-redos.prompttest.yaml')), await iconState(row('d-good.prompttest.yaml'))];
      if (states[0] === 'failed' && states[1] === 'passed') break;
      if (Date.now() > deadline) throw new Error(`suite states after 300 s: a-redos ${states[0]}, d-good ${states[1]}`);
      await page.waitForTimeout(1_000);
    }
    for (const name of ['b-outside.prompttest.yaml', 'c-deep.prompttest.yaml']) {
      assert.notEqual(await iconState(row(name)), 'passed', `${name} did not pass`);
    }
    await page.screenshot({ path: path.join(RESULTS_DIR, 'hostile-trusted-testing.png') });

    // The file outside is refused by rule, at its line, and its content never shows.
    const diagnostics = page.locator('.part.panel, .monaco-hover, .test-explorer');
    assert.equal(await diagnostics.getByText('SECRET OUTSIDE THE WORKSPACE').count(), 0, 'the secret was not shown');
    await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)');
    await page.locator('.markers-panel .monaco-list-row', { hasText: /is outside the workspace/ }).first().waitFor({ state: 'visible', timeout: 60_000 });
    await page.locator('.markers-panel .monaco-list-row', { hasText: /deep/i }).first().waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal(await page.locator('.markers-panel').getByText('SECRET OUTSIDE THE WORKSPACE').count(), 0, 'the problem names the rule, not the content');

    // Trusted, a preference mark is refused at the symlink: nothing is written through it.
    await runCommand(page, 'Sampling Lab: Focus on Strategies View');
    const panel = await panelFrame(page);
    const run = panel.locator('.run').first();
    await run.locator('.card[data-strategy-index="1"] .tok').first().focus();
    await page.keyboard.press('b');
    await run.locator('.card[data-strategy-index="0"] .tok').first().focus();
    await page.keyboard.press('w');
    await run.locator('.preference-status', { hasText: /Not recorded: Refusing to write through .*preferences\.jsonl: it is a symlink/ }).waitFor({ state: 'visible', timeout: 30_000 });
    await page.screenshot({ path: path.join(RESULTS_DIR, 'hostile-trusted-preferences.png') });

    assert.deepEqual(snapshotFiles(outside), outsideBefore, 'nothing outside the workspace was written');
    assert.deepEqual(fs.readdirSync(root).sort(), ['outside', 'repo'], 'nothing new beside the workspace');
  });
});
