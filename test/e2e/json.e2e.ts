/**
 * Generate JSON for Selection in real VS Code (code-server + Chromium, WASM): a workspace with
 * person.schema.json and a prompt "JSON for {known person}:\n"; select the prompt, run the
 * command from the palette, pick person.schema.json, and read the four route cards side by side.
 * The constrained card must be valid, and a constrained token names how many tokens the schema
 * allowed at its step. The engines (XGrammar and transformers-structured-output) run in the
 * panel's worker, next to the model.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FrameLocator, Locator } from 'playwright-core';
import { REPO_ROOT } from './support/codeServer';
import { openLab, type Lab } from './support/lab';
import { knownPerson } from './support/facts';
import { panelFrame } from './support/panel';
import { openFile, runCommand, selectLines, waitForWorkbench, widenSideBar } from './support/workbench';

const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');
const ROUTES = ['prompting', 'repair', 'constrained', 'test_time'];

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface RouteCard {
  route: string;
  valid: boolean;
  badge: string;
  stats: string;
  output: string;
  issues: string[];
  engine: string;
}

/** Waits until the newest run is a finished JSON run and reads its route cards, left to right. */
async function waitForRouteCards(panel: FrameLocator, timeoutMs: number): Promise<RouteCard[]> {
  const run = panel.locator('.run').first();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await run.getAttribute('data-status').catch(() => null);
    const kind = await run.getAttribute('data-kind').catch(() => null);
    if (kind === 'json' && status === 'failed') throw new Error(`the run failed: ${await run.locator('.notice').textContent()}`);
    if (kind === 'json' && status === 'done' && (await run.locator('.route-card[data-state="done"]').count()) === ROUTES.length) break;
    if (Date.now() > deadline) throw new Error(`after ${timeoutMs} ms the newest run is ${kind} "${status}"`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const cards = run.locator('.route-card');
  const result: RouteCard[] = [];
  for (let i = 0; i < (await cards.count()); i++) result.push(await readRouteCard(cards.nth(i)));
  return result;
}

async function readRouteCard(card: Locator): Promise<RouteCard> {
  return {
    route: (await card.getAttribute('data-route')) ?? '',
    valid: (await card.getAttribute('data-valid')) === 'true',
    badge: (await card.locator('.route-badge').textContent()) ?? '',
    stats: (await card.locator('.route-stats').textContent()) ?? '',
    output: (await card.locator('.route-output').allTextContents()).join(''),
    issues: await card.locator('.route-issues li').allTextContents(),
    engine: (await card.locator('.route-engine').allTextContents()).join(''),
  };
}

describe('Generate JSON for Selection, end to end', function () {
  this.timeout(600_000);
  let lab: Lab | undefined;
  let workspace: string;
  let panel: FrameLocator;
  const prompt = `JSON for ${knownPerson(0)}:\n`;

  before(() => {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-ws-'));
    fs.copyFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'schemas', 'person.schema.json'), path.join(workspace, 'person.schema.json'));
    // Line 1 and the empty line 2: selecting both gives the prompt with its trailing newline.
    fs.writeFileSync(path.join(workspace, 'prompts.txt'), `${prompt}\n`);
  });

  after(async () => {
    await lab?.close();
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  it('picking person.schema.json shows four route cards side by side, the constrained one valid', async () => {
    const t0 = Date.now();
    lab = await openLab(workspace);
    const { page } = lab;
    const tReady = Date.now();

    await openFile(page, 'prompts.txt');
    assert.equal(await selectLines(page, 1, 2), prompt.length, 'the whole prompt is selected');
    await runCommand(page, 'Sampling Lab: Generate JSON for Selection…');
    // The schema source: a quick pick listing the workspace's *.schema.json files.
    const pick = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'person.schema.json' }).first();
    await pick.waitFor({ state: 'visible', timeout: 30_000 });
    await pick.click();

    panel = await panelFrame(page);
    const cards = await waitForRouteCards(panel, 300_000);
    const tDone = Date.now();
    await widenSideBar(page, 1100);
    const shot = path.join(RESULTS_DIR, 'json-routes.png');
    await page.screenshot({ path: shot });

    assert.deepEqual(cards.map((c) => c.route), ROUTES, 'one card per route, in order');
    const constrained = cards.find((c) => c.route === 'constrained')!;
    assert.equal(constrained.valid, true, `${constrained.badge}: ${constrained.output} ${constrained.issues.join('; ')}`);
    assert.equal(constrained.badge, '✓ valid', 'the verdict is written out, not colour alone');
    // As in Node: XGrammar alone, once the walk of its grammar for born's 1900–1999 shows it holds.
    assert.match(constrained.engine, /^Engine: xgrammar\. XGrammar enforces every keyword of this schema \(its integer ranges checked: 1900–1999 at \/properties\/born\)/, 'XGrammar ran in the worker');
    const person = JSON.parse(constrained.output) as { name: string; born: number };
    assert.ok(person.born >= 1900 && person.born <= 1999, `born ${person.born} is within the schema's bounds`);
    for (const card of cards) {
      assert.match(card.stats, /tries\s*\d+\s*tokens\s*\d+\s*time\s*\d+ ms/, `${card.route} shows tries, tokens and time`);
      assert.match(card.badge, /^(✓ valid|✗ invalid|– not run)$/);
      if (!card.valid) assert.ok(card.issues.length > 0, `${card.route} is invalid and says where`);
    }
    // Side by side: the four cards share one row.
    const tops = await panel.locator('.run').first().locator('.route-card').evaluateAll((els) => els.map((e) => Math.round(e.getBoundingClientRect().top)));
    assert.equal(new Set(tops).size, 1, `card tops ${tops.join(', ')}`);
    console.log(`      workbench ${seconds(tReady - t0)}, load + four routes ${seconds(tDone - tReady)}; ${path.relative(REPO_ROOT, shot)}`);
    for (const c of cards) console.log(`        ${c.route.padEnd(12)} ${c.badge.padEnd(10)} ${c.stats.replace(/\s+/g, ' ')}  ${JSON.stringify(c.output.replace(/\s+/g, ' '))}`);
  });

  it('a constrained token shows on keyboard focus how many tokens the schema allowed at its step', async () => {
    const tokens = panel.locator('.run').first().locator('.route-card[data-route="constrained"] .route-tokens .tok');
    assert.ok((await tokens.count()) > 0, 'the constrained card lists its tokens');
    const tooltip = panel.locator('#token-tooltip');
    await tokens.first().focus();
    await tooltip.waitFor({ state: 'visible' });
    assert.match((await tooltip.textContent()) ?? '', /\d[\d,]* of [\d,]+ tokens allowed/);
    await tokens.first().press('ArrowRight');
    assert.equal(await tokens.nth(1).evaluate((el) => el === document.activeElement), true, 'arrow keys move between tokens');
    assert.match((await tokens.nth(1).getAttribute('aria-label')) ?? '', /of [\d,]+ tokens allowed/);
    await tokens.nth(2).hover();
    await lab!.page.screenshot({ path: path.join(RESULTS_DIR, 'json-routes-tooltip.png') });
  });

  it('keeps the route cards after the window reloads', async () => {
    const { page } = lab!;
    await runCommand(page, 'Developer: Reload Window');
    await waitForWorkbench(page);
    await runCommand(page, 'Sampling Lab: Focus on Strategies View');
    const reloaded = await panelFrame(page);
    const constrained = reloaded.locator('.run[data-kind="json"]').first().locator('.route-card[data-route="constrained"]');
    await constrained.waitFor({ state: 'attached', timeout: 60_000 });
    assert.equal(await constrained.getAttribute('data-valid'), 'true');
    assert.equal(await reloaded.locator('.run[data-kind="json"]').first().locator('.route-card[data-state="done"]').count(), ROUTES.length);
  });
});
