/**
 * The main scenario in real VS Code (code-server + Chromium): select a prompt about a known
 * person, run "Compare Strategies on Selection" from the palette, and read the cards. Run on
 * WASM (GPU disabled) and on WebGPU (SwiftShader); the panel must say which backend ran.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { REPO_ROOT, startCodeServer, type CodeServer } from './support/codeServer';
import { birthplacePrompt, cliGreedyText, knownPerson } from './support/facts';
import { panelBackend, panelFrame, waitForFinishedCards } from './support/panel';
import { openFile, openWorkbench, runCommand, selectLines, waitForWorkbench, widenSideBar, type GpuMode, type Workbench } from './support/workbench';

const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');

const scenarios: { gpu: GpuMode; backend: 'wasm' | 'webgpu'; title: string }[] = [
  { gpu: 'disabled', backend: 'wasm', title: 'with WASM forced (--disable-gpu)' },
  { gpu: 'swiftshader', backend: 'webgpu', title: 'with WebGPU on SwiftShader' },
];

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

describe('Compare Strategies on Selection, end to end', function () {
  this.timeout(600_000);
  let prompt: string;
  let expectedGreedy: string;

  before(function () {
    prompt = birthplacePrompt(knownPerson(0));
    const started = Date.now();
    expectedGreedy = cliGreedyText(prompt);
    console.log(`      CLI greedy for ${JSON.stringify(prompt)}: ${JSON.stringify(expectedGreedy)} (${Date.now() - started} ms)`);
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
  });

  for (const scenario of scenarios) {
    describe(scenario.title, () => {
      let server: CodeServer | undefined;
      let workbench: Workbench | undefined;
      let workspace: string;
      let panel: FrameLocator;

      before(() => {
        workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-ws-'));
        fs.writeFileSync(path.join(workspace, 'prompts.txt'), `${prompt}\n`);
      });

      after(async () => {
        await workbench?.close();
        await server?.stop();
        fs.rmSync(workspace, { recursive: true, force: true });
      });

      it(`shows a card per strategy, greedy equal to the CLI, on ${scenario.backend.toUpperCase()}`, async () => {
        const t0 = Date.now();
        // Two runs kept: the history test below runs a third.
        server = await startCodeServer({ workspace, settings: { 'samplingLab.device': 'auto', 'samplingLab.history.maxRuns': 2 } });
        workbench = await openWorkbench(server.workbenchUrl({ extensionDevelopmentPath: REPO_ROOT }), { gpu: scenario.gpu });
        const { page } = workbench;
        await waitForWorkbench(page);
        const tReady = Date.now();

        await openFile(page, 'prompts.txt');
        const selected = await selectLines(page, 1, 2);
        assert.equal(selected, prompt.length, 'the whole prompt is selected');
        await runCommand(page, 'Sampling Lab: Compare Strategies on Selection');

        panel = await panelFrame(page);
        const cards = await waitForFinishedCards(panel, 5, 300_000);
        const tDone = Date.now();
        const shot = path.join(RESULTS_DIR, `compare-${scenario.backend}.png`);
        await widenSideBar(page, 640);
        await page.screenshot({ path: shot });

        assert.ok(cards.length >= 5, `${cards.length} cards`);
        for (const card of cards) {
          assert.ok(card.text.trim().length > 0, `card ${card.strategy} has a completion`);
          assert.match(card.chain, /^logits → .*(greedy|sample)/, `card ${card.strategy} shows its chain in order`);
        }
        const greedy = cards.find((c) => c.strategy === 'greedy');
        assert.ok(greedy, 'a greedy card');
        assert.equal(greedy.text, expectedGreedy, 'greedy in the panel equals the CLI');
        assert.equal(await panelBackend(panel), scenario.backend, 'the panel names the backend that ran');
        // Cards with several completions (best-of-N) carry a risk badge; greedy, with one, does not.
        const run = panel.locator('.run').first();
        assert.match((await run.locator('.card[data-strategy^="best-of"] .risk-badge').textContent()) ?? '', /^(Low|Medium|High) risk \d\.\d\d$/);
        assert.equal(await run.locator('.card[data-strategy="greedy"] .risk-badge').count(), 0);
        assert.match((await page.locator('#status\\.samplingLab\\.model, [id="sampling-lab.sampling-lab.samplingLab.model"]').first().textContent()) ?? '', new RegExp(scenario.backend === 'webgpu' ? 'WebGPU' : 'WASM'), 'the status bar names the backend');
        console.log(`      ${scenario.backend}: workbench ${seconds(tReady - t0)}, load + run ${seconds(tDone - tReady)}, total ${seconds(Date.now() - t0)}; ${path.relative(REPO_ROOT, shot)}`);
        for (const card of cards) console.log(`        ${card.strategy.padEnd(16)} ${JSON.stringify(card.text)}  [${card.chain}]`);
      });

      if (scenario.backend !== 'wasm') return;

      it('shows top alternatives for a token on keyboard focus, and arrow keys move between tokens', async () => {
        const tokens = panel.locator('.run').first().locator('.card[data-strategy="greedy"] .tok');
        const tooltip = panel.locator('#token-tooltip');
        await tokens.first().focus();
        await tooltip.waitFor({ state: 'visible' });
        assert.match((await tooltip.textContent()) ?? '', /Top alternatives/);
        assert.ok((await tooltip.locator('tr').count()) >= 2, 'several alternatives listed');
        await tokens.first().press('ArrowRight');
        assert.equal(await tokens.nth(1).evaluate((el) => el === document.activeElement), true, 'focus moved to the next token');
        await tokens.nth(1).press('Escape');
        await tooltip.waitFor({ state: 'hidden' });
        // And by mouse: the hover the README's screenshot shows.
        await tokens.first().hover();
        await tooltip.waitFor({ state: 'visible' });
        await workbench!.page.screenshot({ path: path.join(RESULTS_DIR, 'panel-tooltip.png') });
      });

      it("explains the first run: a legend for token colours and markers, chains in plain words, card tokens/s that add up to the run's", async () => {
        const legend = panel.locator('#legend');
        await legend.waitFor({ state: 'visible' });
        const words = (await legend.textContent()) ?? '';
        for (const expected of ['≥ 80%', '50–80%', '20–50%', '< 20%', 'end of sequence', 'stop string', 'bytes of a split character']) assert.ok(words.includes(expected), `the legend says ${expected}: ${words}`);
        // The legend's swatches are drawn by the cards' own CSS: the end-of-sequence swatch shows the cards' marker.
        const eosMarker = await legend.locator('.tok.swatch:empty').evaluate((el) => getComputedStyle(el, '::after').content);
        assert.equal(eosMarker, '"⏎"');
        const run = panel.locator('.run').first();
        const chains = await run.locator('.card-chain').allTextContents();
        assert.ok(chains.every((c) => !/\bdist\b/.test(c) && /→ (sample|greedy)/.test(c)), `plain-word chains: ${chains.join(' | ')}`);
        const meta = (await run.locator('.run-meta').textContent()) ?? '';
        const runRate = Number(/([\d.]+) tokens\/s over all cards/.exec(meta)?.[1]);
        assert.ok(runRate > 0, `the header gives the run's tokens/s: ${meta}`);
        const cardRates = (await run.locator('.stat-speed dd').allTextContents()).map(Number);
        const sum = cardRates.reduce((a, b) => a + b, 0);
        // Each figure is rounded to 0.1, so the sum may be off by that much per card.
        assert.ok(Math.abs(sum - runRate) <= 0.1 * cardRates.length + 0.05, `cards ${cardRates.join(' + ')} = ${sum.toFixed(1)} vs the run's ${runRate}`);
        assert.match((await run.locator('.stat-speed').first().getAttribute('title')) ?? '', /decode together in one batch, so their rates add up to the run's/);
      });

      it('keeps no more runs in the panel than samplingLab.history.maxRuns (2): the oldest leaves the list', async () => {
        const { page } = workbench!;
        for (const expected of [2, 2]) {
          // The runs shown so far are marked, so the wait is for the one this command adds.
          await panel.locator('.run').evaluateAll((runs) => runs.forEach((r) => ((r as HTMLElement).dataset.seen = '1')));
          await runCommand(page, 'Sampling Lab: Compare Strategies on Selection');
          await panel.locator('.run:not([data-seen])[data-status="done"]').waitFor({ timeout: 120_000 });
          assert.equal(await panel.locator('.run').count(), expected);
        }
        // The newest is the one just added; the first run is gone from the list.
        assert.equal(await panel.locator('.run').first().getAttribute('data-seen'), null);
      });

      it('Insert puts the completion after the selection in the editor', async () => {
        const { page } = workbench!;
        await panel.locator('.run').first().locator('.card[data-strategy="greedy"] button', { hasText: 'Insert' }).click();
        const line2 = page.locator('.monaco-editor .view-line').nth(1);
        await page.waitForFunction(
          (expected) => document.querySelectorAll('.monaco-editor .view-line')[1]?.textContent?.replace(/\u00a0/g, ' ') === expected,
          `A:${expectedGreedy}`,
          { timeout: 15_000 },
        );
        assert.equal((await line2.textContent())?.replace(/\u00a0/g, ' '), `A:${expectedGreedy}`);
      });

      it('keeps the run in the panel after the window reloads', async () => {
        const { page } = workbench!;
        await runCommand(page, 'Developer: Reload Window');
        await waitForWorkbench(page);
        // Reveal the panel the way a user would; the model is not needed to show history.
        await runCommand(page, 'Sampling Lab: Focus on Strategies View');
        const reloaded = await panelFrame(page).catch(async (e) => {
          await page.screenshot({ path: path.join(RESULTS_DIR, 'reload-failure.png') });
          throw e;
        });
        const run = reloaded.locator('.run').first();
        await run.waitFor({ state: 'visible', timeout: 60_000 });
        assert.equal(await run.getAttribute('data-status'), 'done');
        assert.equal(await run.locator('.card[data-strategy="greedy"] .completion').textContent(), expectedGreedy);
      });
    });
  }
});
