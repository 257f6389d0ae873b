/**
 * The distribution explorer in real VS Code (code-server + Chromium, WASM): run a comparison,
 * click a token of the greedy card, move the temperature control, and check the top token's
 * shown probability against softmax(logits / T) and the core's explainStep for that step,
 * computed here in Node on the same model. Then branch from an alternative token.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { explainStep, stepHistory, stepLogits } from '../../src/core/explorer';
import type { CausalLM } from '../../src/core/model/types';
import { loadNodeModel } from '../../src/node/loadNodeModel';
import { REPO_ROOT } from './support/codeServer';
import { openLab, type Lab } from './support/lab';
import { birthplacePrompt, knownPerson } from './support/facts';
import { EXTENSION_ID, panelFrame, waitForFinishedCards } from './support/panel';
import { findWebviewFrame, openFile, runCommand, selectLines, waitForWorkbench, widenSideBar } from './support/workbench';

const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');

function softmaxTop(logits: Float32Array, token: number, T: number): number {
  let max = -Infinity;
  for (const l of logits) if (l > max) max = l;
  let z = 0;
  for (const l of logits) z += Math.exp((l - max) / T);
  return Math.exp((logits[token]! - max) / T) / z;
}

describe('Distribution explorer, end to end', function () {
  this.timeout(600_000);
  let lab: Lab | undefined;
  let model: CausalLM | undefined;
  let workspace: string;
  let branchText = '';
  const prompt = birthplacePrompt(knownPerson(0));

  before(async () => {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-ws-'));
    fs.writeFileSync(path.join(workspace, 'prompts.txt'), `${prompt}\n`);
    model = await loadNodeModel({ device: 'cpu' });
  });

  after(async () => {
    await lab?.close();
    await model?.dispose();
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  it('explains a step, follows the temperature control, branches, and shows the model anatomy', async () => {
    const t0 = Date.now();
    lab = await openLab(workspace);
    const { page } = lab;
    await openFile(page, 'prompts.txt');
    await selectLines(page, 1, 2);
    await runCommand(page, 'Sampling Lab: Compare Strategies on Selection');
    const panel = await panelFrame(page);
    await waitForFinishedCards(panel, 2, 300_000);
    const tRun = Date.now();

    // The least likely token of any finished card: a step where temperature visibly matters.
    const tokens = panel.locator('.run').first().locator('.card[data-state="done"] .completion .tok');
    const probs = await tokens.evaluateAll((els) => els.map((e) => Number(/probability ([\d.e+-]+)%/.exec(e.getAttribute('aria-label') ?? '')?.[1] ?? 100)));
    const pick = probs.indexOf(Math.min(...probs));
    const picked = tokens.nth(pick);
    const step = await picked.evaluate((t) => [...t.parentElement!.querySelectorAll('.tok')].indexOf(t));
    await picked.click();
    const explorer = panel.locator('#explorer');
    await explorer.locator('[data-explorer-top-prob]').waitFor({ state: 'visible', timeout: 60_000 });
    // Its style comes from media/explorer.css, linked by the page under the CSP.
    assert.equal(await explorer.evaluate((e) => getComputedStyle(e).paddingTop), '8px', 'media/explorer.css is applied');
    assert.equal(await explorer.getAttribute('data-step'), String(step));
    assert.equal(await explorer.locator('svg.bars .bar').count(), 30, '30 bars');
    const labels = await explorer.locator('svg.bars .bar').evaluateAll((gs) => gs.map((g) => g.getAttribute('aria-label') ?? ''));
    assert.ok(labels.every((l) => /raw probability/.test(l)), 'each bar says its value');
    assert.equal(await explorer.locator('svg.bars .bar.chosen').count(), 1, 'the chosen token is marked');
    assert.ok(Number(await explorer.locator('[data-tail-mass]').getAttribute('data-tail-mass')) >= 0);

    const generated = (await explorer.getAttribute('data-generated'))!.split(',').map(Number);
    const promptIds = (await explorer.getAttribute('data-prompt-ids'))!.split(',').map(Number);
    const logits = await stepLogits(model!, promptIds, generated, step);
    const history = stepHistory(promptIds, generated, step);

    const readTop = async () => {
      const el = explorer.locator('[data-explorer-top-prob]');
      return { p: Number(await el.getAttribute('data-explorer-top-prob')), token: Number(await el.getAttribute('data-top-token')) };
    };
    /** Waits until the explorer has redrawn since `before` (its data-ready changed) and has nothing pending; fails after 20 s. */
    const settled = (before: string | null) =>
      panel.locator(`#explorer:not([data-pending])${before === null ? '[data-ready]' : `:not([data-ready="${before}"])`}`).waitFor({ state: 'attached', timeout: 20_000 });
    const setTemperature = async (T: number) => {
      const before = await explorer.getAttribute('data-ready');
      await explorer.locator('#explorer-temperature').evaluate((input: HTMLInputElement, v) => {
        input.value = String(v);
        input.dispatchEvent(new Event('input', { bubbles: true }));
      }, T);
      await settled(before);
    };

    // Only temperature: the other stages off, so the expectation is plain softmax(logits / T).
    const setControl = async (id: string, value: string) =>
      explorer.locator(id).evaluate((input: HTMLInputElement, v) => {
        input.value = v;
        input.dispatchEvent(new Event('input', { bubbles: true }));
      }, value);
    await setControl('#explorer-topK', '0');
    await setControl('#explorer-topP', '1');
    await setControl('#explorer-minP', '0');
    const shown: number[] = [];
    for (const T of [1, 0.5, 1.5]) {
      await setTemperature(T);
      const top = await readTop();
      const predicted = softmaxTop(logits, top.token, T);
      const core = explainStep(logits, history, { temperature: T }, { chosenToken: generated[step] }).tokens[0]!;
      assert.equal(top.token, core.token, `T ${T}: the top token is the core's`);
      assert.ok(Math.abs(top.p - predicted) < 2e-3, `T ${T}: shown ${top.p}, softmax(logits/T) ${predicted}`);
      assert.ok(Math.abs(top.p - core.finalProb) < 2e-3, `T ${T}: shown ${top.p}, explainStep ${core.finalProb}`);
      shown.push(top.p);
      console.log(`      T ${T}: top token p shown ${top.p.toFixed(5)}, softmax ${predicted.toFixed(5)}`);
    }
    assert.ok(shown[1]! > shown[0]! && shown[0]! > shown[2]!, 'a lower temperature sharpens, a higher one flattens');
    assert.ok((await explorer.locator('.ex-sweep svg polyline').count()) === 2, 'the sweep draws p(chosen) and entropy');

    // Top-k 3: three survive, the other 27 bars are marked cut (their −∞ log-probs never cross as JSON).
    const before = await explorer.getAttribute('data-ready');
    await setControl('#explorer-topK', '3');
    await settled(before);
    assert.equal(await explorer.locator('[data-surviving]').getAttribute('data-surviving'), '3');
    assert.equal(await explorer.locator('svg.bars .bar.cut').count(), 27);
    const kept = explainStep(logits, history, { temperature: 1.5, topK: 3 }).tokens[0]!.finalProb;
    assert.ok(Math.abs((await readTop()).p - kept) < 2e-3, 'top-k 3 renormalises as the core does');

    // Every registry stage has controls: typical-p's checkbox turns it on, and the order list
    // (one item per stage that is on) moves it before top-k.
    const settle = async (previous: string | null) => {
      for (let i = 0; i < 200 && ((await explorer.getAttribute('data-ready')) === previous || (await explorer.getAttribute('data-pending')) !== null); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const orderShown = () => explorer.locator('#explorer-order li').evaluateAll((items) => items.map((li) => (li as HTMLElement).dataset.stage));
    let previous = await explorer.getAttribute('data-ready');
    await explorer.locator('#explorer-on-typical_p').check();
    await settle(previous);
    assert.deepEqual(await orderShown(), ['temperature', 'top_k', 'typical_p']);
    assert.match((await explorer.locator('[data-surviving]').textContent()) ?? '', /top_k\(3\) 3 → typical_p\(0\.9\) \d/);
    previous = await explorer.getAttribute('data-ready');
    await explorer.locator('#explorer-order li[data-stage="typical_p"] button[aria-label="Move typical_p earlier"]').click();
    await settle(previous);
    assert.deepEqual(await orderShown(), ['temperature', 'typical_p', 'top_k']);
    assert.match((await explorer.locator('[data-surviving]').textContent()) ?? '', /typical_p\(0\.9\) \d+ → top_k\(3\) \d/);
    previous = await explorer.getAttribute('data-ready');
    await explorer.locator('#explorer-on-typical_p').uncheck();
    await settle(previous);
    assert.deepEqual(await orderShown(), ['temperature', 'top_k']);

    // Text parameters have fields too (DRY's breakers, the logit bias), typed as their CLI flags take them.
    const type = async (id: string, text: string) => {
      const before = await explorer.getAttribute('data-ready');
      await explorer.locator(id).fill(text);
      await settled(before);
    };
    const topShown = async () => Number(await explorer.locator('[data-explorer-top-prob]').getAttribute('data-explorer-top-prob'));
    // Logit bias: ban the top token by id, then a line that is not a bias shows an error and runs nothing.
    const top = (await readTop()).token;
    previous = await explorer.getAttribute('data-ready');
    await explorer.locator('#explorer-on-logit_bias').check();
    await settle(previous);
    await type('#explorer-logitBias', `${top}=ban`);
    assert.equal(await topShown(), 0, 'the banned top token has no probability left');
    assert.match((await explorer.locator(`svg.bars .bar[data-token="${top}"]`).getAttribute('class')) ?? '', /\bcut\b/);
    assert.match((await explorer.locator('[data-surviving]').textContent()) ?? '', new RegExp(`logit_bias\\(${top}: ban\\)`));
    const ready = await explorer.getAttribute('data-ready');
    await explorer.locator('#explorer-logitBias').fill(`${top}=ban, Paris`);
    const error = explorer.locator('#explorer-logitBias-error');
    await error.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match((await error.textContent()) ?? '', /^Logit bias: bias \(--logit-bias\): "Paris" is not TOKEN=BIAS\. Expected /);
    assert.equal(await explorer.locator('#explorer-logitBias').getAttribute('aria-invalid'), 'true');
    assert.equal(await explorer.getAttribute('data-pending'), null, 'no request with a broken value');
    assert.equal(await explorer.getAttribute('data-ready'), ready);
    assert.ok(await explorer.locator('#explorer-branch').isDisabled(), 'no branch with a broken value');
    // Keyboard: the field is reached by Tab from its stage's checkbox, and fixing the line runs again.
    await explorer.locator('#explorer-on-logit_bias').focus();
    await page.keyboard.press('Tab');
    assert.equal(await explorer.locator('#explorer-logitBias').evaluate((e) => e === document.activeElement), true);
    previous = await explorer.getAttribute('data-ready');
    await page.keyboard.press('End');
    for (let i = 0; i < ', Paris'.length; i++) await page.keyboard.press('Backspace');
    await settle(previous);
    assert.equal(await error.isVisible(), false);
    assert.equal(await topShown(), 0);
    previous = await explorer.getAttribute('data-ready');
    await explorer.locator('#explorer-on-logit_bias').uncheck();
    await settle(previous);
    await setControl('#explorer-topK', '3');

    await explorer.locator('#explorer-log').check();
    await explorer.locator('svg.bars[aria-label*="log scale"]').waitFor({ timeout: 10_000 });

    // Branch from the first alternative (not the chosen token).
    const alt = Number(await explorer.locator('#explorer-alt').inputValue());
    assert.notEqual(alt, generated[step]);
    await explorer.locator('#explorer-branch').click();
    const branch = explorer.locator('.branch-card').first();
    await branch.waitFor({ state: 'visible', timeout: 120_000 });
    // Focus follows Branch to what it made (it used to drop to the page body).
    assert.equal(await branch.locator('.branch-label').evaluate((e) => e === document.activeElement), true, 'focus is on the new branch');
    const text = (await branch.locator('.branch-text').getAttribute('data-text')) ?? '';
    const altText = model!.tokenText(alt);
    assert.ok(text.startsWith(altText), `branch text ${JSON.stringify(text)} starts with ${JSON.stringify(altText)}`);
    assert.match((await branch.locator('.branch-label').textContent()) ?? '', new RegExp(`^branch of .+ at step ${step}: `));
    branchText = text;
    // The run keeps the branch too, under its cards.
    const keptBranch = panel.locator('.run').first().locator('.run-branches .branch-card .branch-text');
    await keptBranch.first().waitFor({ state: 'attached', timeout: 30_000 });
    assert.equal(await keptBranch.first().getAttribute('data-text'), text);

    await widenSideBar(page, 760);
    await explorer.evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: path.join(RESULTS_DIR, 'explorer.png') });
    await branch.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(RESULTS_DIR, 'explorer-branch.png') });

    // Show Model Anatomy: the bars' counts sum to the model's total.
    await runCommand(page, 'Sampling Lab: Show Model Anatomy');
    const anatomy = await findWebviewFrame(page, EXTENSION_ID, '#components');
    const total = Number(await anatomy.locator('#total').getAttribute('data-total'));
    const counts = await anatomy.locator('#components .bar').evaluateAll((gs) => gs.map((g) => Number(g.getAttribute('data-parameters'))));
    assert.equal(total, 1_843_392);
    assert.equal(counts.reduce((a, b) => a + b, 0), total, `components ${counts.join(' + ')} = ${total}`);
    assert.match((await anatomy.locator('[data-fact="trainingTokens"]').textContent()) ?? '', /1,382,739/);
    await page.screenshot({ path: path.join(RESULTS_DIR, 'anatomy.png') });
    console.log(`      run ${((tRun - t0) / 1000).toFixed(1)} s, explorer ${((Date.now() - tRun) / 1000).toFixed(1)} s`);
  });

  it('works by keyboard: Enter opens it with focus inside, one tab stop per chart with arrows, Escape returns to the token', async () => {
    const { page } = lab!;
    const panel = await panelFrame(page);
    const explorer = panel.locator('#explorer');
    const token = panel.locator('.run').first().locator('.card[data-state="done"] .completion .tok').first();
    await token.focus();
    await token.press('Enter');
    await explorer.locator('svg.bars .bar').first().waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal(await explorer.evaluate((e) => e.contains(document.activeElement)), true, 'focus moved into the explorer');
    const bars = explorer.locator('svg.bars .bar');
    const stops = () => bars.evaluateAll((gs) => gs.filter((g) => g.getAttribute('tabindex') === '0').map((g) => [...g.parentElement!.children].indexOf(g)));
    const first = await stops();
    assert.equal(first.length, 1, 'the bar list is one tab stop');
    assert.equal(await bars.nth(first[0]!).evaluate((g) => g.classList.contains('chosen')), true, "it is the chosen token's bar");
    await bars.nth(first[0]!).focus();
    const move = first[0]! === 29 ? 'ArrowUp' : 'ArrowDown';
    await bars.nth(first[0]!).press(move);
    const moved = first[0]! + (move === 'ArrowDown' ? 1 : -1);
    assert.equal(await bars.nth(moved).evaluate((g) => g === document.activeElement), true, `${move} moved focus to the next bar`);
    assert.deepEqual(await stops(), [moved], 'still one tab stop, now on the focused bar');
    const points = explorer.locator('.ex-sweep .point');
    assert.equal(await points.evaluateAll((ps) => ps.filter((p) => p.getAttribute('tabindex') === '0').length), 1, 'the sweep is one tab stop');
    assert.ok((await points.count()) > 1);
    await bars.nth(moved).press('Escape');
    await explorer.waitFor({ state: 'hidden' });
    assert.equal(await token.evaluate((t) => t === document.activeElement), true, 'Escape closed it and focus is back on the token');
  });

  it('names its controls for screen readers, and Close by keyboard returns focus to the token', async () => {
    const { page } = lab!;
    const panel = await panelFrame(page);
    const explorer = panel.locator('#explorer');
    const token = panel.locator('.run').first().locator('.card[data-state="done"] .completion .tok').nth(1);
    await token.focus();
    await token.press('Enter');
    const points = explorer.locator('.ex-sweep .point');
    await points.first().waitFor({ state: 'visible', timeout: 60_000 });
    // Names as the accessibility tree computes them (Playwright's role queries), not as attributes read.
    assert.equal(await explorer.getByRole('slider', { name: 'Temperature', exact: true }).count(), 1, 'the temperature slider is named by its label');
    assert.equal(await explorer.getByRole('img', { name: /: raw probability [\d.e+-]+%, (sampling probability|cut by)/ }).count(), 30, 'each of the 30 bars says its token and probabilities');
    const pointCount = await points.count();
    assert.ok(pointCount > 1);
    assert.equal(await explorer.getByRole('img', { name: /^T \d+\.\d\d: p\(chosen\) [\d.e+-]+%, entropy \d+\.\d\d bits$/ }).count(), pointCount, 'each sweep point says its temperature, p(chosen) and entropy');
    assert.equal(await explorer.getByRole('combobox', { name: 'Alternative token to branch from' }).count(), 1);
    assert.equal(await explorer.getByRole('button', { name: 'Branch from here', exact: true }).count(), 1);
    const close = explorer.getByRole('button', { name: 'Close the distribution explorer (Escape)', exact: true });
    assert.equal(await close.count(), 1);
    // Close by keyboard: focus goes back to the token that opened it (it used to drop to the page body).
    await close.focus();
    await close.press('Enter');
    await explorer.waitFor({ state: 'hidden' });
    assert.equal(await token.evaluate((t) => t === document.activeElement), true, 'focus is back on the token after Close');
  });

  it('keeps the branch with its run after the window reloads', async () => {
    assert.ok(branchText, 'the first test made a branch');
    const { page } = lab!;
    await runCommand(page, 'Developer: Reload Window');
    await waitForWorkbench(page);
    await runCommand(page, 'Sampling Lab: Focus on Strategies View');
    const reloaded = await panelFrame(page);
    const kept = reloaded.locator('.run').first().locator('.run-branches .branch-card');
    await kept.first().waitFor({ state: 'attached', timeout: 60_000 });
    assert.equal(await kept.first().locator('.branch-text').getAttribute('data-text'), branchText);
    assert.match((await kept.first().locator('.branch-label').textContent()) ?? '', /^branch of .+ at step \d+: /);
  });
  it('a run from inside a string literal: scrolled into view below the toolbar, the header says where the prompt came from and folds it', async () => {
    const { page } = lab!;
    // Six lines as the program means them (\n escapes in a TS string): more than the header shows.
    const lines = ['Context: a quiz about birthplaces.', 'Answer with a city.', 'One answer per question.', 'No explanations.', 'Q: Where was Ada born?', 'A:'];
    fs.writeFileSync(path.join(workspace, 'quiz.ts'), `export const quiz = "${lines.join('\\n')}";\n`);
    const panel = await panelFrame(page);
    const runs = panel.locator('.run');
    const before = await runs.count();
    // A shorter window, so the panel's one run is taller than its view; then it is scrolled down,
    // away from where the new run appears. (The workbench lays the webview out again a moment later.)
    const viewport = page.viewportSize()!;
    await page.setViewportSize({ width: viewport.width, height: 520 });
    await panel.locator('body').evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const deadline = Date.now() + 20_000;
          const poll = () => (document.documentElement.scrollHeight > window.innerHeight + 100 ? resolve() : Date.now() > deadline ? reject(new Error(`the panel is ${document.documentElement.scrollHeight} px in a ${window.innerHeight} px view`)) : requestAnimationFrame(poll));
          poll();
        }),
    );
    const scrolled = await panel.locator('body').evaluate(() => {
      window.scrollTo(0, document.documentElement.scrollHeight);
      return window.scrollY;
    });
    assert.ok(scrolled > 0, 'the panel is scrolled away from its top');
    await openFile(page, 'quiz.ts');
    // The cursor inside the literal, no selection: the prompt is the literal's value, with no input box.
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+Home');
    await page.keyboard.press('End');
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowLeft');
    await runCommand(page, 'Sampling Lab: Compare Strategies on Selection');
    await panel.locator(`.run:nth-child(${before + 1})`).waitFor({ state: 'attached', timeout: 120_000 });
    const newest = runs.first();
    const headerShown = () =>
      newest.locator('.run-toggle').evaluate((e) => {
        const r = e.getBoundingClientRect();
        const toolbar = document.querySelector('.toolbar')!.getBoundingClientRect();
        return { top: r.top, toolbarBottom: toolbar.bottom, viewBottom: window.innerHeight };
      });
    const check = (where: { top: number; toolbarBottom: number; viewBottom: number }, when: string) =>
      assert.ok(where.top >= where.toolbarBottom - 1 && where.top < where.viewBottom, `${when}: the new run's header (top ${where.top}) is below the toolbar (${where.toolbarBottom}) and in view (${where.viewBottom})`);
    check(await headerShown(), 'as it starts');
    assert.equal(await newest.locator('.run-prompt-source').textContent(), 'taken from a string literal: escapes decoded, parts joined');
    // The header holds the first four lines; the whole prompt, as sent, is folded in the run's body.
    assert.equal(await newest.locator('.run-prompt').textContent(), `${lines.slice(0, 4).join('\n')}…`);
    const whole = newest.locator('details.prompt-full');
    assert.equal(await whole.evaluate((d) => (d as HTMLDetailsElement).open), false, 'folded');
    assert.equal(await whole.locator('summary').textContent(), `Whole prompt (${lines.join('\n').length} characters, 6 lines)`);
    assert.equal(await whole.locator('.prompt-full-text').textContent(), lines.join('\n'), 'the prompt as sent: real newlines, no quotes');
    await waitForFinishedCards(panel, 2, 300_000);
    check(await headerShown(), 'when it has finished');
    await page.setViewportSize(viewport);
  });

  it('Focus on Strategies View puts the keys in the panel every time, from an editor with the cursor in it', async () => {
    // Runs on the workbench the tests above left, or alone (mocha --grep) on a new one.
    lab ??= await openLab(workspace);
    const { page } = lab;
    await openFile(page, 'prompts.txt');
    const editorText = page.locator('.monaco-editor .view-lines').first();
    const before = await editorText.textContent();
    // Where the page's focus is: the editor's text area, or a control inside our webview's document.
    const focusIn = async () => {
      const top = await page.evaluate(() => {
        const a = document.activeElement;
        if (a?.closest('.monaco-editor')) return 'editor';
        return a instanceof HTMLIFrameElement && a.classList.contains('webview') ? 'webview' : a?.tagName ?? 'none';
      });
      if (top !== 'webview') return top;
      const panel = await panelFrame(page);
      return panel.locator('body').evaluate(() => (document.hasFocus() && document.activeElement && document.activeElement !== document.body ? `panel:${document.activeElement.id || document.activeElement.className}` : 'panel body'));
    };
    for (let i = 0; i < 5; i++) {
      await editorText.click();
      assert.equal(await focusIn(), 'editor', `try ${i + 1}: the cursor is in the editor`);
      await runCommand(page, 'Sampling Lab: Focus on Strategies View');
      // Typed at once, as a user does: a key that would change the editor's text.
      await page.keyboard.type('x');
      // VS Code hands focus into a webview's document a moment later: wait for it to get there (10 s at most).
      let where = await focusIn();
      for (const deadline = Date.now() + 10_000; !where.startsWith('panel:') && Date.now() < deadline; where = await focusIn()) await page.waitForTimeout(100);
      assert.match(where, /^panel:/, `try ${i + 1}: focus is on a control of the panel, not ${where}`);
      assert.equal(await editorText.textContent(), before, `try ${i + 1}: the key did not go into the editor`);
    }
    assert.equal(await page.locator('.tab.dirty').count(), 0, 'no editor was changed');
  });
});
