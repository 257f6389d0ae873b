/**
 * The panel in VS Code's four built-in theme kinds (code-server + Chromium, WASM): after one
 * comparison, each theme is switched on through the workspace's settings file, the side bar is
 * screenshotted (into docs/screenshots/ with SAMPLING_LAB_DOC_SCREENSHOTS=1), and every visible piece of text in the panel (cards,
 * chain labels, tokens on their probability tints, legend, toolbar, buttons, run header, and the
 * explorer opened by keyboard) is measured from computed styles: WCAG contrast ≥ 4.5:1.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Frame, FrameLocator, Page } from 'playwright-core';
import { REPO_ROOT } from './support/codeServer';
import { birthplacePrompt, knownPerson } from './support/facts';
import { openLab, type Lab } from './support/lab';
import { panelFrame, waitForFinishedCards } from './support/panel';
import { openFile, runCommand, selectLines, webviewFrameHandle, widenSideBar } from './support/workbench';

/**
 * Where the screenshots go: test-results/ on every run, so a test run leaves the tree clean;
 * docs/screenshots/ when SAMPLING_LAB_DOC_SCREENSHOTS=1 (to refresh the README's pictures).
 */
const SCREENSHOTS = process.env.SAMPLING_LAB_DOC_SCREENSHOTS === '1' ? path.join(REPO_ROOT, 'docs', 'screenshots') : path.join(REPO_ROOT, 'test-results');

/** WCAG 2.1 SC 1.4.3 (AA) for normal-size text. */
const MIN_CONTRAST = 4.5;

interface ThemeCase {
  name: string;
  file: string;
  /** The class VS Code puts on the workbench for this theme kind. */
  workbenchClass: string;
  /** The class VS Code puts on a webview's body (HC Light also carries vscode-high-contrast). */
  bodyClass: string;
  /**
   * The theme's own `foreground` (code-server's extensions/theme-defaults/themes/*.json). The
   * webview can hold the theme kind's default colours for a moment before the theme's own arrive
   * (a CI run measured Light Modern's legend in #616161, the light default, once): the measure
   * waits for this value in the webview's --vscode-foreground.
   */
  foreground: string;
}

const THEMES: ThemeCase[] = [
  { name: 'Default Light Modern', file: 'theme-light.png', workbenchClass: 'vs', bodyClass: 'vscode-light', foreground: '#3b3b3b' },
  { name: 'Default Dark Modern', file: 'theme-dark.png', workbenchClass: 'vs-dark', bodyClass: 'vscode-dark', foreground: '#cccccc' },
  { name: 'Default High Contrast', file: 'theme-high-contrast.png', workbenchClass: 'hc-black', bodyClass: 'vscode-high-contrast', foreground: '#ffffff' },
  { name: 'Default High Contrast Light', file: 'theme-high-contrast-light.png', workbenchClass: 'hc-light', bodyClass: 'vscode-high-contrast-light', foreground: '#292929' },
];

interface Measured {
  what: string;
  text: string;
  fg: string;
  bg: string;
  ratio: number;
}

/**
 * Runs in the panel's webview: every rendered element with a text node of its own, its text
 * colour (times the opacity of it and its ancestors) over its effective background (ancestors'
 * background colours composed down to the opaque page), and the WCAG contrast ratio.
 */
function measureContrast(): Measured[] {
  type RGBA = [number, number, number, number];
  const canvas = document.createElement('canvas').getContext('2d')!;
  const parse = (css: string): RGBA => {
    let m = /^rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)$/.exec(css);
    if (m) return [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])];
    // color-mix() computes to color(srgb r g b / a) in Chromium.
    m = /^color\(srgb ([\d.e-]+) ([\d.e-]+) ([\d.e-]+)(?: \/ ([\d.e-]+))?\)$/.exec(css);
    if (m) return [Number(m[1]) * 255, Number(m[2]) * 255, Number(m[3]) * 255, m[4] === undefined ? 1 : Number(m[4])];
    // Anything else (oklab, named…): let the canvas convert it.
    canvas.clearRect(0, 0, 1, 1);
    canvas.fillStyle = css;
    canvas.fillRect(0, 0, 1, 1);
    const d = canvas.getImageData(0, 0, 1, 1).data;
    return [d[0]!, d[1]!, d[2]!, d[3]! / 255];
  };
  const over = (top: RGBA, bottom: RGBA): RGBA => {
    const a = top[3];
    return [top[0] * a + bottom[0] * (1 - a), top[1] * a + bottom[1] * (1 - a), top[2] * a + bottom[2] * (1 - a), 1];
  };
  const luminance = (c: RGBA) => {
    const lin = (v: number) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
  };
  const hex = (c: RGBA) => `#${c.slice(0, 3).map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;
  const describe = (el: Element) => {
    const parts: string[] = [];
    for (let e: Element | null = el; e && e !== document.body && parts.length < 3; e = e.parentElement) {
      const cls = [...e.classList].slice(0, 2).map((c) => `.${c}`).join('');
      parts.unshift(`${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${cls}`);
    }
    return parts.join(' > ');
  };
  // The page under everything: the theme's side bar background VS Code gives the webview.
  const rootStyle = getComputedStyle(document.documentElement);
  let page = parse(getComputedStyle(document.body).backgroundColor);
  if (page[3] < 1) page = over(page, parse(rootStyle.getPropertyValue('--vscode-editor-background').trim() || 'rgb(255,255,255)'));

  const elements = new Set<Element>();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.textContent?.trim() && n.parentElement) elements.add(n.parentElement);
  }
  const out: Measured[] = [];
  for (const el of elements) {
    // Not rendered (display: none, a closed <details>, the hidden tooltip): nothing to read.
    if (el.getClientRects().length === 0) continue;
    const style = getComputedStyle(el);
    if (style.visibility !== 'visible') continue;
    // <option>s of a closed <select> are not on screen; <style>/<script> text is not text.
    if (el.closest('option, style, script, noscript')) continue;
    // Disabled controls are exempt (WCAG 1.4.3: "text that is part of an inactive user interface component").
    // The same for a disabled slider's value readout (<output> after its <input>): it is part of that control.
    if (el.closest(':disabled') || (el.matches('output') && el.previousElementSibling?.matches(':disabled'))) continue;
    const isSvg = el instanceof SVGElement;
    let fg = parse(isSvg ? style.fill : style.color);
    let opacity = 1;
    for (let e: Element | null = el; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
    let bg = page;
    const layers: RGBA[] = [];
    for (let e: Element | null = el; e && e !== document.documentElement; e = e.parentElement) {
      const layer = parse(getComputedStyle(e).backgroundColor);
      if (layer[3] > 0) layers.push(layer);
      if (layer[3] >= 1) break;
    }
    for (const layer of layers.reverse()) bg = over(layer, bg);
    fg = over([fg[0], fg[1], fg[2], fg[3] * opacity], bg);
    const [l1, l2] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    const ratio = (l1! + 0.05) / (l2! + 0.05);
    out.push({ what: describe(el), text: (el.textContent ?? '').trim().slice(0, 30), fg: hex(fg), bg: hex(bg), ratio });
  }
  return out;
}

async function switchTheme(page: Page, frame: Frame, workspace: string, theme: ThemeCase): Promise<void> {
  // The workbench follows its settings files as they change (the same path a user's edit takes).
  const settings = path.join(workspace, '.vscode', 'settings.json');
  fs.mkdirSync(path.dirname(settings), { recursive: true });
  fs.writeFileSync(settings, JSON.stringify({ 'workbench.colorTheme': theme.name }, null, 2));
  await page.locator(`.monaco-workbench.${theme.workbenchClass}`).waitFor({ state: 'attached', timeout: 120_000 });
  // The webview gets its class and its --vscode-* variables in the same message.
  await frame.waitForFunction(
    ([cls, foreground]) =>
      document.body.classList.contains(cls) &&
      (cls !== 'vscode-high-contrast' || !document.body.classList.contains('vscode-high-contrast-light')) &&
      getComputedStyle(document.documentElement).getPropertyValue('--vscode-foreground').trim().toLowerCase() === foreground,
    [theme.bodyClass, theme.foreground] as const,
    { timeout: 60_000 },
  );
}

function report(theme: string, measured: Measured[], where: string): { lowest: Measured; failures: string[] } {
  assert.ok(measured.length > 20, `${theme}, ${where}: only ${measured.length} text elements measured`);
  const lowest = measured.reduce((a, b) => (b.ratio < a.ratio ? b : a));
  const failures = measured
    .filter((m) => m.ratio < MIN_CONTRAST)
    .map((m) => `${m.what} ${JSON.stringify(m.text)}: ${m.fg} on ${m.bg} = ${m.ratio.toFixed(2)}:1`);
  return { lowest, failures };
}

describe('Panel in every theme kind, end to end', function () {
  this.timeout(900_000);
  let lab: Lab | undefined;
  let workspace: string;
  let panel: FrameLocator;
  let frame: Frame;

  before(async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-ws-'));
    fs.writeFileSync(path.join(workspace, 'prompts.txt'), `${birthplacePrompt(knownPerson(0))}\n`);
    lab = await openLab(workspace);
    const { page } = lab;
    await openFile(page, 'prompts.txt');
    await selectLines(page, 1, 2);
    await runCommand(page, 'Sampling Lab: Compare Strategies on Selection');
    panel = await panelFrame(page);
    await waitForFinishedCards(panel, 5, 300_000);
    const handle = await webviewFrameHandle(page, '#runs');
    assert.ok(handle, "the panel's frame");
    frame = handle;
    await widenSideBar(page, 640);
  });

  after(async () => {
    await lab?.close();
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  for (const theme of THEMES) {
    it(`${theme.name}: all text in the panel and the explorer has contrast ≥ ${MIN_CONTRAST}:1 (${theme.file})`, async () => {
      const { page } = lab!;
      await switchTheme(page, frame, workspace, theme);
      await page.locator('.part.sidebar').screenshot({ path: path.join(SCREENSHOTS, theme.file) });
      const shown = await frame.evaluate(measureContrast);
      const cards = report(theme.name, shown, 'cards');
      // What the measure must have covered: chain labels, tokens, the legend, the toolbar, the run header, buttons.
      const covered = shown.map((m) => m.what).join('\n');
      for (const part of ['code.card-chain', 'span.tok', '#legend', '.toolbar', '.run-toggle', 'button']) {
        assert.ok(covered.includes(part), `${theme.name}: ${part} was measured`);
      }

      // The explorer, opened by keyboard as a keyboard user would.
      const token = panel.locator('.run').first().locator('.card[data-state="done"] .completion .tok').first();
      const explorer = panel.locator('#explorer');
      await token.focus();
      await token.press('Enter');
      const bars = explorer.locator('svg.bars .bar');
      await bars.first().waitFor({ state: 'visible', timeout: 120_000 });
      const measured = await frame.evaluate(measureContrast);
      assert.ok(measured.some((m) => m.what.includes('#explorer')), `${theme.name}: the explorer was measured`);
      const withExplorer = report(theme.name, measured, 'explorer');
      if (theme.name === 'Default Dark Modern') {
        // The keyboard explorer's screenshot: a bar focused by arrow key, its focus ring showing.
        assert.equal(await explorer.evaluate((e) => e.contains(document.activeElement)), true, 'focus moved into the explorer');
        // The bar list's one tab stop, then an arrow key, as explorer.e2e.ts's keyboard test does.
        const stop = await bars.evaluateAll((gs) => gs.findIndex((g) => g.getAttribute('tabindex') === '0'));
        await bars.nth(stop).focus();
        await bars.nth(stop).press(stop === 29 ? 'ArrowUp' : 'ArrowDown');
        const focused = explorer.locator('svg.bars .bar:focus');
        await focused.waitFor({ state: 'attached' });
        await focused.evaluate((g) => g.scrollIntoView({ block: 'center' }));
        await page.locator('.part.sidebar').screenshot({ path: path.join(SCREENSHOTS, 'explorer-keyboard.png') });
      }
      await page.keyboard.press('Escape');
      await explorer.waitFor({ state: 'hidden' });
      // Back on the token, whose tooltip shows on focus: Escape hides it for the next theme's screenshot.
      await token.press('Escape');
      await panel.locator('#token-tooltip').waitFor({ state: 'hidden' });

      const lowest = [cards.lowest, withExplorer.lowest].reduce((a, b) => (b.ratio < a.ratio ? b : a));
      console.log(`      ${theme.name}: lowest ${lowest.ratio.toFixed(2)}:1 (${lowest.what} ${JSON.stringify(lowest.text)}, ${lowest.fg} on ${lowest.bg})`);
      const failures = [...new Set([...cards.failures, ...withExplorer.failures])];
      assert.equal(failures.length, 0, `${theme.name}: ${failures.length} text elements under ${MIN_CONTRAST}:1\n  ${failures.join('\n  ')}`);
    });
  }
});
