/**
 * Check Hallucination Risk in real VS Code (code-server + Chromium, WASM): select a question
 * about a person the bundled model never saw, run the command from the palette, and read the
 * risk card: a High band, the samples grouped by cluster with counts that add up to N. Then
 * Insert (a warning squiggle on the answer), a question about a known person (Low), and the
 * card after a window reload.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FrameLocator, Locator } from 'playwright-core';
import { REPO_ROOT } from './support/codeServer';
import { openLab, type Lab } from './support/lab';
import { birthplacePrompt, heldOutPerson, knownPerson } from './support/facts';
import { panelFrame } from './support/panel';
import { openFile, runCommand, selectLines, waitForWorkbench, widenSideBar } from './support/workbench';

const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');
const SAMPLES = 8;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface RiskCard {
  runId: string;
  band: string;
  badge: string;
  explanation: string;
  /** The counts the cluster list shows ("6 × "), largest first. */
  counts: number[];
  clusters: string[];
  sentences: string[];
}

/** Waits until the newest run is a finished risk check (other than `after`) and reads its card. */
async function waitForRiskCard(panel: FrameLocator, timeoutMs: number, after?: string): Promise<RiskCard> {
  const run = panel.locator('.run').first();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const id = await run.getAttribute('data-run-id').catch(() => null);
    const status = await run.getAttribute('data-status').catch(() => null);
    if (id && id !== after && status === 'failed') throw new Error(`the check failed: ${await run.locator('.notice').textContent()}`);
    const card = run.locator('.risk-card[data-state="done"]');
    if (id && id !== after && (await card.count()) > 0) return readRiskCard(id, card);
    if (Date.now() > deadline) throw new Error(`after ${timeoutMs} ms the newest run is ${id} "${status}" with no risk score`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function readRiskCard(runId: string, card: Locator): Promise<RiskCard> {
  const badge = card.locator('.risk-badge');
  return {
    runId,
    band: (await badge.getAttribute('data-band')) ?? '',
    badge: (await badge.textContent()) ?? '',
    explanation: (await card.locator('.risk-explanation').textContent()) ?? '',
    counts: (await card.locator('.cluster-count').allTextContents()).map((t) => Number.parseInt(t, 10)),
    clusters: await card.locator('.cluster-text').allTextContents(),
    sentences: await card.locator('.risk-sentence').allTextContents(),
  };
}

describe('Check Hallucination Risk, end to end', function () {
  this.timeout(600_000);
  let lab: Lab | undefined;
  let workspace: string;
  let panel: FrameLocator;
  let heldOut: RiskCard;
  const unknownQuestion = birthplacePrompt(heldOutPerson(0));
  const knownQuestion = birthplacePrompt(knownPerson(0));

  before(() => {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-ws-'));
    // Lines 1–2: the held-out question; lines 4–5: the known one.
    fs.writeFileSync(path.join(workspace, 'questions.txt'), `${unknownQuestion}\n\n${knownQuestion}\n`);
  });

  after(async () => {
    await lab?.close();
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  it('a question about a held-out person shows the High band and the samples grouped, counts adding up to N', async () => {
    const t0 = Date.now();
    lab = await openLab(workspace, { settings: { 'samplingLab.risk.samples': SAMPLES } });
    const { page } = lab;
    const tReady = Date.now();

    await openFile(page, 'questions.txt');
    assert.equal(await selectLines(page, 1, 2), unknownQuestion.length, 'the whole question is selected');
    await runCommand(page, 'Sampling Lab: Check Hallucination Risk');
    panel = await panelFrame(page);
    heldOut = await waitForRiskCard(panel, 300_000);
    const tDone = Date.now();
    await widenSideBar(page, 640);
    const shot = path.join(RESULTS_DIR, 'risk-panel.png');
    await page.screenshot({ path: shot });

    assert.equal(heldOut.band, 'High', `${heldOut.badge}: ${heldOut.explanation}`);
    assert.match(heldOut.badge, /^High risk \d\.\d\d$/, 'the band is written out, not colour alone');
    assert.ok(heldOut.counts.length >= 1 && heldOut.counts.every((n) => n >= 1), `cluster counts ${heldOut.counts}`);
    assert.equal(heldOut.counts.reduce((a, b) => a + b, 0), SAMPLES, `cluster counts ${heldOut.counts.join(' + ')} add up to N`);
    assert.match(await panel.locator('.risk-card .risk-clusters .risk-label').first().textContent() ?? '', new RegExp(`^${SAMPLES} samples in ${heldOut.counts.length} group`));
    assert.ok(heldOut.explanation.trim().length > 0, 'a one-line explanation');
    assert.ok(heldOut.sentences.length >= 1, 'the answer, sentence by sentence');
    console.log(`      workbench ${seconds(tReady - t0)}, load + check ${seconds(tDone - tReady)}; ${path.relative(REPO_ROOT, shot)}`);
    console.log(`        ${JSON.stringify(unknownQuestion)} → ${heldOut.badge}; ${heldOut.explanation}`);
    console.log(`        clusters: ${heldOut.clusters.map((c, i) => `${heldOut.counts[i]} × ${c}`).join(', ')}`);
  });

  it('a sentence of the answer is keyboard-reachable and names its risk', async () => {
    const sentence = panel.locator('.run').first().locator('.risk-sentence').first();
    await sentence.focus();
    assert.equal(await sentence.evaluate((el) => el === document.activeElement), true);
    assert.match((await sentence.getAttribute('aria-label')) ?? '', /sentence risk \d\.\d\d/);
    assert.match((await sentence.getAttribute('data-risk')) ?? '', /^risk \d\.\d\d$/);
  });

  it('Insert puts the answer after the question and marks it with a warning', async () => {
    const { page } = lab!;
    await panel.locator('.run').first().locator('.risk-card button', { hasText: 'Insert' }).click();
    const answer = heldOut.sentences.join(' ');
    await page.waitForFunction(
      (expected) => (document.querySelectorAll('.monaco-editor .view-line')[1]?.textContent ?? '').replace(/\u00a0/g, ' ').startsWith(expected),
      `A: ${answer}`,
      { timeout: 15_000 },
    );
    await page.locator('.monaco-editor .squiggly-warning').first().waitFor({ state: 'attached', timeout: 15_000 });
  });

  it('a question about a known person shows the Low band', async () => {
    const { page } = lab!;
    assert.equal(await selectLines(page, 4, 5), knownQuestion.length, 'the known question is selected');
    await runCommand(page, 'Sampling Lab: Check Hallucination Risk');
    const known = await waitForRiskCard(panel, 120_000, heldOut.runId);
    assert.equal(known.band, 'Low', `${known.badge}: ${known.explanation}`);
    assert.equal(known.counts.reduce((a, b) => a + b, 0), SAMPLES);
    console.log(`        ${JSON.stringify(knownQuestion)} → ${known.badge}; ${known.explanation}`);
  });

  it('keeps the risk card after the window reloads', async () => {
    const { page } = lab!;
    await runCommand(page, 'Developer: Reload Window');
    await waitForWorkbench(page);
    await runCommand(page, 'Sampling Lab: Focus on Strategies View');
    const reloaded = await panelFrame(page);
    const card = reloaded.locator(`.run[data-run-id="${heldOut.runId}"] .risk-card .risk-badge`);
    await card.waitFor({ state: 'attached', timeout: 60_000 });
    assert.equal(await card.getAttribute('data-band'), 'High');
  });
});
