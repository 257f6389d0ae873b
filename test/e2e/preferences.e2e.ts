/**
 * Recording a preference pair in real VS Code (code-server + Chromium, WASM): compare strategies
 * on a prompt, then with the keyboard mark one card better (B) and another worse (W). The pair
 * lands in .sampling-lab/preferences.jsonl, and the Preferences view counts it.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from './support/codeServer';
import { openLab, type Lab } from './support/lab';
import { birthplacePrompt, knownPerson } from './support/facts';
import { panelFrame, waitForFinishedCards } from './support/panel';
import { openFile, runCommand, selectLines, widenSideBar } from './support/workbench';

const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');

describe('Preference pairs from the Compare panel, end to end', function () {
  this.timeout(600_000);
  let lab: Lab | undefined;
  let workspace: string;
  const prompt = birthplacePrompt(knownPerson(1));

  before(() => {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-ws-'));
    fs.writeFileSync(path.join(workspace, 'prompts.txt'), `${prompt}\n`);
  });

  after(async () => {
    await lab?.close();
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  it('B on one card and W on another record the pair, and the Preferences view shows it', async () => {
    lab = await openLab(workspace);
    const { page } = lab;
    await openFile(page, 'prompts.txt');
    assert.equal(await selectLines(page, 1, 2), prompt.length);
    await runCommand(page, 'Sampling Lab: Compare Strategies on Selection');
    const panel = await panelFrame(page);
    const cards = await waitForFinishedCards(panel, 5, 300_000);

    const run = panel.locator('.run').first();
    const card = (i: number) => run.locator(`.card[data-strategy-index="${i}"]`);
    // Keyboard only: focus a token of card 2, press B; focus a token of card 1, press W.
    await card(2).locator('.tok').first().focus();
    await page.keyboard.press('b');
    assert.equal(await card(2).getAttribute('data-preference'), 'chosen');
    assert.equal(await card(2).locator('.prefer-better').getAttribute('aria-pressed'), 'true');
    await card(0).locator('.tok').first().focus();
    await page.keyboard.press('w');
    const status = run.locator('.preference-status[data-tone="recorded"]');
    await status.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match((await status.textContent()) ?? '', new RegExp(`^Recorded: .+ preferred to .+, in \\.sampling-lab/preferences\\.jsonl \\(1 from this run\\)\\.$`));
    assert.equal(await card(2).getAttribute('data-preference'), null, 'the marks clear once recorded');

    const file = path.join(workspace, '.sampling-lab', 'preferences.jsonl');
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    assert.equal(lines.length, 1);
    const record = JSON.parse(lines[0]!);
    assert.equal(record.prompt, prompt);
    assert.equal(record.chosen_strategy, cards[2]!.strategy);
    assert.equal(record.rejected_strategy, cards[0]!.strategy);
    assert.equal(record.chosen, cards[2]!.text.replace(/⏎$/, ''));

    // The Preferences view, in the same sidebar (collapsed by default, so opened as a user would).
    await runCommand(page, 'Sampling Lab: Focus on Preferences View');
    await runCommand(page, 'Sampling Lab: Refresh Preferences');
    const pairs = page.locator('.monaco-list-row', { hasText: '1 pair' }).first();
    await pairs.waitFor({ state: 'visible', timeout: 30_000 });
    const winner = page.locator('.monaco-list-row', { hasText: cards[2]!.strategy }).first();
    assert.match((await winner.textContent()) ?? '', /won 1 of 1 \(100%\)/);
    await widenSideBar(page, 700);
    const shot = path.join(RESULTS_DIR, 'preferences.png');
    await page.screenshot({ path: shot });
    console.log(`      ${path.relative(REPO_ROOT, shot)}; ${record.chosen_strategy} over ${record.rejected_strategy}`);
  });
});
