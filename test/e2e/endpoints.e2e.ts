/**
 * Endpoints in real VS Code (code-server + Chromium): Add Endpoint against an OpenAI-compatible
 * test server on 127.0.0.1 (vLLM's wire format, the bundled model behind it), pick it in Select
 * Model, compare on it (the cards say the server sampled, typical-p is refused on its card by
 * name), and open the explorer on a token: approximate, with the unknown tail shown as unknown.
 * Then Restricted Mode: a repository's settings that add and select an endpoint are ignored, and
 * nothing reaches the server.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { birthplacePrompt, knownPerson } from './support/facts';
import { openLab, type Lab } from './support/lab';
import { panelFrame, waitForFinishedCards } from './support/panel';
import { serveModelInSuite } from './support/servedModel';
import { openFile, runCommand, selectLines } from './support/workbench';

describe('endpoints, end to end', function () {
  this.timeout(900_000);
  let lab: Lab | undefined;
  const prompt = birthplacePrompt(knownPerson(0));
  after(() => lab?.close());
  const served = serveModelInSuite('sl-endpoint-ws-', { 'prompts.txt': `${prompt}\n` }, 'vllm');

  it('adds an endpoint, compares on it (typical-p refused on its card), and opens the explorer marked approximate', async () => {
    lab = await openLab(served.workspace, { settings: { 'samplingLab.strategies': [{ kind: 'greedy' }, { kind: 'custom', temperature: 1, typicalP: 0.9 }], 'samplingLab.maxNewTokens': 6 } });
    const { page } = lab;
    const quickInput = page.locator('.quick-input-widget .quick-input-box input');
    const row = (text: string) => page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: text }).first();

    await runCommand(page, 'Sampling Lab: Add Endpoint…');
    await quickInput.waitFor({ state: 'visible' });
    await quickInput.fill(served.server.url);
    await page.keyboard.press('Enter');
    // The server's models, from GET /v1/models.
    await row('facts-lm').click();
    await page.locator('.quick-input-widget', { hasText: 'a name' }).waitFor({ state: 'visible' });
    await quickInput.fill('e2e-server');
    await page.keyboard.press('Enter');
    await page.locator('.notifications-toasts .notification-toast', { hasText: 'endpoint e2e-server added' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    assert.ok(served.server.requests.some((r) => r.method === 'GET' && r.path === '/v1/models'), 'the models were listed from the server');

    await runCommand(page, 'Sampling Lab: Select Model…');
    // Filtered, so the row is rendered whatever the length of the list above it.
    await quickInput.fill('Endpoint');
    await row('Endpoint: e2e-server').click();

    await openFile(page, 'prompts.txt');
    await selectLines(page, 1, 2);
    await runCommand(page, 'Sampling Lab: Compare Strategies on Selection');
    const panel = await panelFrame(page);
    const run = panel.locator('.run').first();
    await panel.locator('.run[data-status="done"]').first().waitFor({ state: 'attached', timeout: 300_000 });
    const host = new URL(served.server.url).host;
    assert.match((await run.locator('.run-meta').textContent()) ?? '', new RegExp(`^facts-lm · sampled by the server \\(vllm at http://${host.replace(/\./g, '\\.')}/v1\\)`));
    assert.equal(await run.locator('.card[data-state="done"] .card-sampled-by').count(), 1, 'the greedy card says who sampled');
    const refused = run.locator('.card[data-state="refused"]');
    assert.equal(await refused.count(), 1);
    assert.equal(await refused.locator('.card-refused').textContent(), `Not run: typical-p: not supported by vLLM at ${host}.`);
    assert.ok(served.server.requests.filter((r) => r.method === 'POST').every((r) => !('typical_p' in r.body)), 'typical-p was never sent');

    await run.locator('.card[data-state="done"] .completion .tok').first().click();
    const explorer = panel.locator('#explorer[data-approximate="true"]');
    await explorer.locator('[data-approximate]').waitFor({ state: 'visible', timeout: 30_000 });
    assert.match((await explorer.locator('.ex-approximate').textContent()) ?? '', /^Approximate: the server returned its top \d+ tokens/);
    const bars = await explorer.locator('svg.bars .bar:not(.unknown-tail)').count();
    assert.ok(bars >= 2 && bars <= 21, `${bars} known tokens (vLLM's top 20, and the chosen one)`);
    const tail = Number(await explorer.locator('[data-unknown-tail]').getAttribute('data-unknown-tail'));
    const known = Number(await explorer.locator('[data-known-mass]').getAttribute('data-known-mass'));
    assert.ok(Math.abs(tail + known - 1) < 1e-6 && tail >= 0, `the unknown tail ${tail} is the rest of the known mass ${known}`);

    // Temperature renormalises the known part: lower sharpens the top token.
    const readTop = async () => Number(await explorer.locator('[data-explorer-top-prob]').getAttribute('data-explorer-top-prob'));
    const setTemperature = async (T: number) => {
      const before = await explorer.getAttribute('data-ready');
      await explorer.locator('#explorer-temperature').evaluate((input: HTMLInputElement, v) => {
        input.value = String(v);
        input.dispatchEvent(new Event('input', { bubbles: true }));
      }, T);
      await panel.locator(`#explorer:not([data-ready="${before}"])`).waitFor({ state: 'attached', timeout: 20_000 });
    };
    await setTemperature(1);
    const atOne = await readTop();
    await setTemperature(0.5);
    const atHalf = await readTop();
    assert.ok(atHalf > atOne, `T 0.5 sharpens: ${atHalf} > ${atOne}`);
    assert.ok(await explorer.locator('#explorer-branch').isDisabled(), 'no branching on a server run here');
    await lab.close();
    lab = undefined;
  });

  it('in Restricted Mode, a repository that adds and selects an endpoint is ignored: the local model runs, nothing is sent', async () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-endpoint-repo-'));
    try {
      fs.writeFileSync(path.join(repo, 'prompts.txt'), `${prompt}\n`);
      fs.mkdirSync(path.join(repo, '.vscode'));
      fs.writeFileSync(
        path.join(repo, '.vscode', 'settings.json'),
        JSON.stringify({ 'samplingLab.endpoints': [{ name: 'repo-server', baseUrl: served.server.url, model: 'facts-lm' }], 'samplingLab.model': 'endpoint:repo-server' }),
      );
      const sent = served.server.requests.length;
      lab = await openLab(repo, { workspaceTrust: true, settings: { 'samplingLab.strategies': [{ kind: 'greedy' }], 'samplingLab.maxNewTokens': 6 } });
      const { page } = lab;
      await runCommand(page, 'Sampling Lab: Select Model…');
      await page.locator('.quick-input-widget .quick-input-box input').fill('Endpoint');
      await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Add Endpoint' }).first().waitFor({ state: 'visible' });
      assert.equal(await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'repo-server' }).count(), 0, 'the repository’s endpoint is not offered');
      await page.keyboard.press('Escape');
      await openFile(page, 'prompts.txt');
      await selectLines(page, 1, 2);
      await runCommand(page, 'Sampling Lab: Compare Strategies on Selection');
      const panel = await panelFrame(page);
      await waitForFinishedCards(panel, 1, 300_000);
      const meta = (await panel.locator('.run').first().locator('.run-meta').textContent()) ?? '';
      assert.match(meta, /^facts-lm · WASM/, 'the bundled model ran in the panel');
      assert.doesNotMatch(meta, /sampled by/);
      assert.equal(served.server.requests.length, sent, 'nothing reached the server');
    } finally {
      await lab?.close();
      lab = undefined;
      fs.rmSync(repo, { recursive: true, force: true });
    }
  });
});
