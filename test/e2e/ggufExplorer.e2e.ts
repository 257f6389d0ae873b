/**
 * The distribution explorer on a card llama.cpp sampled in the extension host (samplingLab.model
 * is facts-lm converted to GGUF at test time), in real VS Code (code-server + Chromium): the panel's
 * worker has not got that model, so the explorer asks the host. Its bars are the full distribution
 * (not the approximate view of a server's top log-probs), its top probability is llama.cpp's
 * softmax of that step computed here in Node, and Branch decodes on from an alternative.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { explainStep, stepHistory, stepLogits } from '../../src/core/explorer';
import { loadGgufModel } from '../../src/node/engines/llamacpp/llamaCppModel';
import type { CausalLM } from '../../src/core/model/types';
import { REPO_ROOT } from './support/codeServer';
import { openLab, type Lab } from './support/lab';
import { birthplacePrompt, knownPerson } from './support/facts';
import { panelFrame, waitForFinishedCards } from './support/panel';
import { openFile, runCommand, selectLines } from './support/workbench';
import { ggufFile } from '../support/ggufModel';

const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');

describe('Distribution explorer on a GGUF model (llama.cpp in the host), end to end', function () {
  this.timeout(600_000);
  let lab: Lab | undefined;
  let model: CausalLM | undefined;
  let workspace: string;
  const prompt = birthplacePrompt(knownPerson(0));
  const file = ggufFile('F32');

  before(async () => {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-ws-'));
    fs.writeFileSync(path.join(workspace, 'prompts.txt'), `${prompt}\n`);
    model = await loadGgufModel({ file, threads: 1 });
  });

  after(async () => {
    await lab?.close();
    await model?.dispose();
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  it('explains a step of a llama.cpp card with the full distribution from the host, and branches from an alternative', async () => {
    lab = await openLab(workspace, { settings: { 'samplingLab.model': file, 'samplingLab.threads': 1, 'samplingLab.strategies': [{ kind: 'greedy' }, { kind: 'temperature', temperature: 0.8 }], 'samplingLab.maxNewTokens': 8 } });
    const { page } = lab;
    await openFile(page, 'prompts.txt');
    await selectLines(page, 1, 2);
    await runCommand(page, 'Sampling Lab: Compare Strategies on Selection');
    const panel = await panelFrame(page);
    await waitForFinishedCards(panel, 2, 300_000);
    const run = panel.locator('.run').first();
    assert.match((await run.getAttribute('data-sampled-by')) ?? '', /^cpu \(llama\.cpp\)$/);

    const step = 1;
    await run.locator('.card[data-state="done"]').first().locator('.completion .tok').nth(step).click();
    const explorer = panel.locator('#explorer');
    await explorer.locator('[data-explorer-top-prob]').waitFor({ state: 'visible', timeout: 120_000 });
    assert.equal(await explorer.getAttribute('data-approximate'), 'false', 'the full distribution, not a top-k approximation');
    assert.equal(await explorer.locator('svg.bars .bar').count(), 30, '30 bars of the whole vocabulary');
    assert.equal(await explorer.locator('.ex-error').textContent(), '', 'no error');

    const generated = (await explorer.getAttribute('data-generated'))!.split(',').map(Number);
    const promptIds = (await explorer.getAttribute('data-prompt-ids'))!.split(',').map(Number);
    const logits = await stepLogits(model!, promptIds, generated, step);
    const expected = explainStep(logits, stepHistory(promptIds, generated, step), { temperature: 1 }, { chosenToken: generated[step] }).tokens[0]!;
    const top = explorer.locator('[data-explorer-top-prob]');
    assert.equal(Number(await top.getAttribute('data-top-token')), expected.token);
    assert.ok(Math.abs(Number(await top.getAttribute('data-explorer-top-prob')) - expected.finalProb) < 2e-3, 'the top probability is llama.cpp\'s for this step');

    const alt = Number(await explorer.locator('#explorer-alt').inputValue());
    assert.notEqual(alt, generated[step]);
    await explorer.locator('#explorer-branch').click();
    const branch = explorer.locator('.branch-card').first();
    await branch.waitFor({ state: 'visible', timeout: 120_000 });
    const altText = model!.tokenText(alt);
    const text = (await branch.locator('.branch-text').getAttribute('data-text')) ?? '';
    assert.ok(text.startsWith(altText), `branch text ${JSON.stringify(text)} starts with ${JSON.stringify(altText)}`);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'gguf-explorer.png') });
  });
});
