/**
 * Models side by side in real VS Code (code-server + Chromium, WASM): with a folder model and a
 * folder that does not exist in `samplingLab.compareModels`, "Compare Models on Selection" shows
 * one run with a group of cards per model under a heading naming it (model, where it came from,
 * backend, weights), the same strategies and seeds in each, every card labelled with its model;
 * the folder that is not there says why in its own group. The folder model is the bundled one's
 * files with only its q8 weights, so the two groups ran different weights. The explorer opens on
 * the loaded model's cards and refuses, by name, a card of the other model; a branch made there is
 * kept under the run, naming its model.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FrameLocator, Locator } from 'playwright-core';
import { REPO_ROOT } from './support/codeServer';
import { birthplacePrompt, heldOutPerson, MODEL_DIR } from './support/facts';
import { openLab, type Lab } from './support/lab';
import { panelFrame } from './support/panel';
import { openFile, runCommand, selectLines, widenSideBar } from './support/workbench';

const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');
const STRATEGIES = [{ kind: 'greedy' }, { kind: 'top_p', topP: 0.9, temperature: 1.2 }, { kind: 'min_p', minP: 0.05, temperature: 1.5 }];

interface Group {
  heading: string;
  status: string;
  notice: string;
  cards: { strategy: string; model: string; seed: string; state: string }[];
}

/** Waits until the newest run has ended with `count` model groups, and reads them. */
async function waitForGroups(panel: FrameLocator, count: number, timeoutMs: number): Promise<Group[]> {
  const run = panel.locator('.run').first();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await run.getAttribute('data-status').catch(() => null);
    const groups = run.locator('.model-group');
    if (status && status !== 'running' && (await groups.count()) === count) {
      const read: Group[] = [];
      for (let i = 0; i < count; i++) read.push(await readGroup(groups.nth(i)));
      return read;
    }
    if (Date.now() > deadline) throw new Error(`after ${timeoutMs} ms the run is "${status}" with ${await groups.count()} model groups`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function readGroup(group: Locator): Promise<Group> {
  const cards = group.locator('.card');
  const read: Group['cards'] = [];
  for (let i = 0; i < (await cards.count()); i++) {
    const card = cards.nth(i);
    read.push({
      strategy: (await card.getAttribute('data-strategy')) ?? '',
      model: (await card.locator('.card-model').textContent()) ?? '',
      seed: (await card.locator('.stat-seed dd').textContent()) ?? '',
      state: (await card.getAttribute('data-state')) ?? '',
    });
  }
  const notice = group.locator('.model-notice');
  return {
    heading: (await group.locator('.model-heading').textContent()) ?? '',
    status: (await group.getAttribute('data-status')) ?? '',
    notice: (await notice.isVisible()) ? ((await notice.textContent()) ?? '') : '',
    cards: read,
  };
}

describe('Models side by side, end to end', function () {
  this.timeout(600_000);
  let lab: Lab | undefined;
  let workspace: string;
  let tmp: string;
  // Someone the model never saw: it makes an answer up, and the strategies differ.
  const prompt = birthplacePrompt(heldOutPerson(1));

  before(() => {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-ws-'));
    fs.writeFileSync(path.join(workspace, 'prompts.txt'), `${prompt}\n`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-models-'));
  });

  after(async () => {
    await lab?.close();
    fs.rmSync(workspace, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('groups the cards by model under headings naming it, with the same strategies and seeds, each card naming its model', async () => {
    const q8 = path.join(tmp, 'facts-lm-q8');
    fs.mkdirSync(path.join(q8, 'onnx'), { recursive: true });
    for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(MODEL_DIR, f), path.join(q8, f));
    fs.copyFileSync(path.join(MODEL_DIR, 'onnx', 'model_quantized.onnx'), path.join(q8, 'onnx', 'model_quantized.onnx'));
    const missing = path.join(tmp, 'not-a-model');
    lab = await openLab(workspace, {
      settings: { 'samplingLab.compareModels': [q8, missing], 'samplingLab.strategies': STRATEGIES, 'samplingLab.maxNewTokens': 12, 'samplingLab.seed': 11, 'samplingLab.cache.enabled': false },
    });
    const { page } = lab;
    await openFile(page, 'prompts.txt');
    assert.equal(await selectLines(page, 1, 2), prompt.length);
    await runCommand(page, 'Sampling Lab: Compare Models on Selection');
    const panel = await panelFrame(page);
    const [bundled, folder, broken] = await waitForGroups(panel, 3, 400_000);

    assert.match(bundled!.heading, /^facts-lm · bundled · WASM · fp32 · [\d.]+ tokens\/s · done$/);
    assert.match(folder!.heading, new RegExp(`^facts-lm-q8 · folder ${q8.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} · WASM · q8 · [\\d.]+ tokens/s · done$`));
    for (const [group, name] of [
      [bundled!, 'facts-lm'],
      [folder!, 'facts-lm-q8'],
    ] as const) {
      assert.equal(group.status, 'done');
      assert.deepEqual(
        group.cards.map((c) => [c.model, c.state]),
        STRATEGIES.map(() => [`Model: ${name}`, 'done']),
      );
    }
    // The same strategies with the same seeds on both models.
    assert.deepEqual(
      folder!.cards.map((c) => [c.strategy, c.seed]),
      bundled!.cards.map((c) => [c.strategy, c.seed]),
    );
    // The folder that is not there: its group says so, and how to fix it.
    assert.equal(broken!.status, 'failed');
    assert.match(broken!.notice, /has no config\.json.*Fix or remove it in your user settings' samplingLab\.compareModels\./);
    assert.equal(broken!.heading, `${missing} · failed`);
    assert.equal(await panel.locator('.run').first().locator('.model-group').nth(2).locator('.cards').isVisible(), false, 'no empty cards under it');
    assert.match((await panel.locator('.run').first().locator('.run-meta').textContent()) ?? '', /^facts-lm · facts-lm-q8 · /);

    // The explorer on a card of each group. The folder's model ran last and is the one loaded: its
    // card opens on its step. The bundled model's card says which model to run again instead of
    // showing the folder model's distribution for it (it did, silently, before).
    const explorer = panel.locator('#explorer');
    const firstToken = (group: number) => panel.locator('.run').first().locator('.model-group').nth(group).locator('.card[data-state="done"] .completion .tok').first();
    await firstToken(1).click();
    await explorer.locator('[data-explorer-top-prob]').waitFor({ state: 'visible', timeout: 60_000 });
    assert.ok((await explorer.locator('svg.bars .bar').count()) > 0, 'bars for the loaded model');
    assert.equal(await explorer.locator('.ex-error').textContent(), '');
    // A branch of that card is kept with the run, in the folder model's record, and shows under the run naming the model.
    await explorer.locator('#explorer-branch').click();
    const made = explorer.locator('.branch-card .branch-text').first();
    await made.waitFor({ state: 'visible', timeout: 120_000 });
    const keptBranch = panel.locator('.run').first().locator('.run-branches .branch-card');
    await keptBranch.first().waitFor({ state: 'attached', timeout: 30_000 });
    assert.equal(await keptBranch.first().locator('.branch-text').getAttribute('data-text'), await made.getAttribute('data-text'));
    assert.match((await keptBranch.first().locator('.branch-label').textContent()) ?? '', /^branch of facts-lm-q8 greedy at step 0: /);
    await keptBranch.first().getByRole('button', { name: 'Show parent' }).click();
    const parentToken = panel.locator('.run').first().locator('.model-group').nth(1).locator('.card[data-strategy-index="0"] .tok').first();
    assert.equal(await parentToken.evaluate((e) => e === document.activeElement), true, "Show parent goes to the folder model's card, not the bundled one's");
    await firstToken(0).click();
    const refused = explorer.locator('.ex-error', { hasText: 'This card came from facts-lm (fp32), and the panel has facts-lm-q8 (q8) loaded' });
    await refused.waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal(await explorer.locator('svg.bars .bar').count(), 0, 'no bars of the other model left under it');
    assert.ok(await explorer.locator('#explorer-branch').isDisabled(), 'no branch from a step it cannot read');
    await page.keyboard.press('Escape');
    await explorer.waitFor({ state: 'hidden', timeout: 10_000 });

    await widenSideBar(page, 760);
    await panel.locator('.run').first().locator('.model-group').first().scrollIntoViewIfNeeded();
    const shot = path.join(RESULTS_DIR, 'models-side-by-side.png');
    await page.screenshot({ path: shot });
    console.log(`      ${path.relative(REPO_ROOT, shot)}; ${bundled!.heading} | ${folder!.heading}`);
  });
});
