/**
 * Endpoints in real VS Code (code-server + Chromium): Add Endpoint against an OpenAI-compatible
 * test server on 127.0.0.1 (vLLM's wire format, the bundled model behind it), pick it in Select
 * Model, compare on it (the cards say the server sampled, typical-p is refused on its card by
 * name), and open the explorer on a token: approximate, with the unknown tail shown as unknown;
 * branch from an alternative (the server continues the text prefix, and the branch card says so),
 * and on a chat run see Branch off, saying why.
 * Then Restricted Mode: a repository's settings that add and select an endpoint are ignored, and
 * nothing reaches the server; trusted, its suite naming that endpoint errors (endpoints come from
 * the user's settings only), and still nothing reaches it.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { birthplacePrompt, knownPerson } from './support/facts';
import { openLab, type Lab } from './support/lab';
import { panelFrame, waitForFinishedCards } from './support/panel';
import { iconState } from './support/testing';
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
    const pick = row('Endpoint: e2e-server');
    await pick.click();
    // On a loaded machine the list can still be filtering when the click lands, and the pick stays
    // open: the row is clicked again once it has settled.
    await quickInput.waitFor({ state: 'hidden', timeout: 10_000 }).catch(async () => {
      if (await quickInput.isVisible()) await pick.click();
      await quickInput.waitFor({ state: 'hidden', timeout: 30_000 });
    });

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

    // Branch from an alternative: the host has the server continue prompt + that token's text on /v1/completions.
    const branchButton = explorer.locator('#explorer-branch');
    assert.equal(await branchButton.isDisabled(), false, 'a raw run on a server with /v1/completions can branch');
    assert.equal(await explorer.locator('#explorer-branch-note').isHidden(), true);
    const runPrompt = String(served.server.requests.find((r) => r.path === '/v1/completions')!.body.prompt);
    const sent = served.server.requests.length;
    await branchButton.click();
    const branch = explorer.locator('.ex-branches .branch-card[data-state="done"]').first();
    await branch.waitFor({ state: 'visible', timeout: 60_000 });
    const request = served.server.requests.slice(sent).find((r) => r.path === '/v1/completions');
    assert.ok(request, 'the branch went to /v1/completions');
    const body = request.body;
    assert.ok(String(body.prompt).startsWith(runPrompt), 'the run\'s prompt, then the prefix');
    const tokenText = String(body.prompt).slice(runPrompt.length);
    assert.ok(tokenText.length > 0);
    assert.equal(body.temperature, 0, 'the card\'s strategy: greedy');
    assert.equal(await branch.locator('.first').textContent(), tokenText, 'the branch starts with the alternative picked');
    assert.match((await branch.locator('.branch-label').textContent()) ?? '', /^branch of greedy at step 0: /);
    assert.match((await branch.locator('.branch-continued').textContent()) ?? '', new RegExp(`^Continued by the server \\(vllm at http://${host.replace(/\./g, '\\.')}/v1\\) from the text prefix`));
    // The run keeps it (host history): it shows under the run's cards too.
    await run.locator('.run-branches .branch-card[data-state="done"]').first().waitFor({ state: 'attached', timeout: 30_000 });

    // A chat run went through the server's template: Branch is off, and says why on screen.
    fs.mkdirSync(path.join(served.workspace, '.vscode'), { recursive: true });
    fs.writeFileSync(path.join(served.workspace, '.vscode', 'settings.json'), JSON.stringify({ 'samplingLab.promptFormat': 'chat', 'samplingLab.strategies': [{ name: 'chat greedy', kind: 'greedy' }] }));
    // Both settings arrive in one change: the editor's list shows the one strategy once it has.
    await panel.locator('#strategy-editor .strategy-row:only-child').waitFor({ state: 'attached', timeout: 60_000 });
    await openFile(page, 'prompts.txt');
    await selectLines(page, 1, 2);
    await runCommand(page, 'Sampling Lab: Compare Strategies on Selection');
    const chatRun = panel.locator('.run[data-status="done"]', { has: panel.locator('.card[data-strategy="chat greedy"]') }).first();
    await chatRun.waitFor({ state: 'attached', timeout: 300_000 });
    assert.equal(served.server.requests.at(-1)!.path, '/v1/chat/completions');
    await chatRun.locator('.card[data-state="done"] .completion .tok').first().click();
    await panel.locator(`#explorer[data-run-id="${await chatRun.getAttribute('data-run-id')}"] [data-approximate]`).waitFor({ state: 'visible', timeout: 30_000 });
    assert.ok(await branchButton.isDisabled(), 'no branching on a chat run');
    assert.match((await explorer.locator('#explorer-branch-note').textContent()) ?? '', /^No branching on a chat run: the server applied its own chat template/);
    await lab.close();
    lab = undefined;
  });

  it('in Restricted Mode, a repository that adds and selects an endpoint is ignored: the local model runs, nothing is sent; trusted, its suite naming that endpoint errors and sends nothing', async () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-endpoint-repo-'));
    try {
      fs.writeFileSync(path.join(repo, 'prompts.txt'), `${prompt}\n`);
      fs.mkdirSync(path.join(repo, '.vscode'));
      fs.writeFileSync(
        path.join(repo, '.vscode', 'settings.json'),
        JSON.stringify({ 'samplingLab.endpoints': [{ name: 'repo-server', baseUrl: served.server.url, model: 'facts-lm' }], 'samplingLab.model': 'endpoint:repo-server' }),
      );
      // A suite that sends its prompt to the repository's own endpoint.
      fs.writeFileSync(
        path.join(repo, 'ask.prompttest.yaml'),
        `model: endpoint:repo-server\ncases:\n  - name: asks the repository's server\n    strategy: greedy\n    max_tokens: 4\n    prompt: ${JSON.stringify(prompt)}\n    assert:\n      - type: max-tokens\n        value: 4\n`,
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

      // Trusted, the suite is read and run: the endpoint it names is looked up in the user's settings only, so its case errors and nothing is sent.
      await runCommand(page, 'Workspaces: Manage Workspace Trust');
      await page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust$/ }).first().click();
      await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ state: 'hidden', timeout: 60_000 });
      await runCommand(page, 'Testing: Focus on Test Explorer View');
      const suite = page.locator('.test-explorer .monaco-list-row', { hasText: 'ask.prompttest.yaml' }).first();
      await suite.waitFor({ state: 'visible', timeout: 60_000 });
      await runCommand(page, 'Test: Run All Tests');
      await suite.locator('.computed-state[class*="testing-error-icon"]').first().waitFor({ state: 'attached', timeout: 120_000 });
      assert.equal(await iconState(suite), 'errored');
      assert.equal(served.server.requests.length, sent, 'the suite sent nothing to the repository’s server');
    } finally {
      await lab?.close();
      lab = undefined;
      fs.rmSync(repo, { recursive: true, force: true });
    }
  });
});
