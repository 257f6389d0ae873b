/**
 * Drives the code-server workbench in Debian's Chromium through playwright-core
 * (shared/docs/vscode-e2e-offline.md). Never `npx playwright install`: the browser is the
 * system one.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Frame, type FrameLocator, type Page } from 'playwright-core';

export type GpuMode =
  /** `--disable-gpu`: navigator.gpu yields no adapter, so the extension must use WASM. */
  | 'disabled'
  /** WebGPU on SwiftShader, Chromium's CPU implementation of the GPU. */
  | 'swiftshader';

export interface WorkbenchOptions {
  gpu: GpuMode;
  /** The extension host's console (extension tests print their mocha report through it). */
  onHostLog?: (line: string) => void;
  /** Called when extension tests finish, with their exit code. */
  onTestsExit?: (code: number) => void;
  /** More Chromium flags (the soak's `--js-flags=--expose-gc`). */
  extraArgs?: string[];
}

export interface Workbench {
  readonly page: Page;
  close(): Promise<void>;
}

export const CHROMIUM = process.env.SAMPLING_LAB_CHROMIUM ?? '/usr/bin/chromium';

export async function openWorkbench(url: string, options: WorkbenchOptions): Promise<Workbench> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}. Run tools/e2e/install-code-server.sh (it installs Debian's chromium).`);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-chrome-'));
  const args = [
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    // Hidden webviews keep running: the model lives in one.
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
    ...(options.gpu === 'disabled'
      ? ['--disable-gpu']
      : ['--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-webgpu-adapter=swiftshader']),
  ];
  args.push(...(options.extraArgs ?? []));
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    viewport: { width: 1400, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  if (options.onHostLog) {
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      options.onHostLog!(formatHostLog(type, args));
    });
  }
  if (options.onTestsExit) {
    await page.exposeFunction('codeAutomationExit', (code: number) => options.onTestsExit!(code));
  }
  // SAMPLING_LAB_DEBUG_CONSOLE=1: every page and webview console line, worker start and failed
  // request (what found the service worker's 404s for the model worker; src/protocol/resources.ts).
  if (process.env.SAMPLING_LAB_DEBUG_CONSOLE) {
    page.on('console', (m) => console.log(`[page ${m.type()}] ${m.text().slice(0, 400)}`));
    page.on('worker', (w) => console.log(`[worker] ${w.url()}`));
    context.on('response', (r) => { if (r.status() >= 400) console.log(`[http ${r.status()}] ${r.url().slice(0, 300)}`); });
    context.on('requestfailed', (r) => console.log(`[failed] ${r.url().slice(0, 300)} ${r.failure()?.errorText}`));
  }
  await page.goto(url);
  return {
    page,
    async close() {
      await context.close().catch(() => undefined);
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The extension host forwards console calls printf-style: ("%s passing", "3"). */
function formatHostLog(_type: string, args: unknown[]): string {
  const list = Array.isArray(args) ? [...args] : [args];
  let first = typeof list[0] === 'string' ? (list.shift() as string) : '';
  first = first.replace(/%[sdifoOc]/g, (m) => {
    if (list.length === 0) return m;
    const value = list.shift();
    return m === '%c' ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  });
  return [first, ...list.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))].filter((s) => s !== '').join(' ');
}

export async function waitForWorkbench(page: Page, timeoutMs = 60_000): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
}

/**
 * Runs a command from the palette by its title, e.g. "Sampling Lab: Stop". Retries while the
 * command is not listed yet: extensions register their commands a moment after the
 * workbench appears (over 30 s once, under npm run test:load's CPU hog).
 */
export async function runCommand(page: Page, title: string, timeoutMs = 90_000): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: title }).first();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await openPalette(page, deadline);
    try {
      // The palette can close again before the text lands (a view or notification took focus on
      // a loaded machine): then it is opened again, until the deadline.
      await input.fill(`>${title}`, { timeout: 5_000 });
      await row.waitFor({ state: 'visible', timeout: 2_000 });
      break;
    } catch (e) {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw new Error(`command "${title}" is not in the palette after ${timeoutMs} ms`);
    }
  }
  await row.click();
  await input.waitFor({ state: 'hidden' });
}

/**
 * Opens the command palette (F1) and waits for its input. A key pressed while the workbench is
 * still settling (after a reload, or while the palette closes) can be lost on a loaded machine:
 * then F1 is pressed again, until `deadline`.
 */
export async function openPalette(page: Page, deadline = Date.now() + 30_000): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  for (;;) {
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 3_000 });
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await page.keyboard.press('Escape');
    }
  }
}

/**
 * Opens a workspace file through quick open (Ctrl+P). Quick open can close before the name lands,
 * and on a loaded machine its file search can take long to list a file just written: then it is
 * opened again, until the deadline.
 */
export async function openFile(page: Page, name: string, timeoutMs = 90_000): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: name }).first();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.keyboard.press('Control+P');
    try {
      await input.waitFor({ state: 'visible', timeout: 3_000 });
      await input.fill(name, { timeout: 5_000 });
      await row.waitFor({ state: 'visible', timeout: 15_000 });
      await row.click({ timeout: 5_000 });
      break;
    } catch (e) {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw new Error(`"${name}" is not in quick open after ${timeoutMs} ms: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  await page.locator(`.tab[aria-label*="${name}"]`).first().waitFor({ state: 'visible' });
  await page.locator('.monaco-editor .view-lines').first().waitFor({ state: 'visible' });
}

/** Drags the side bar's edge so it is `width` pixels wide (screenshots show the panel roomier). */
export async function widenSideBar(page: Page, width: number): Promise<void> {
  const bar = await page.locator('.part.sidebar').boundingBox();
  if (!bar) return;
  const y = bar.y + bar.height / 2;
  await page.mouse.move(bar.x + bar.width - 1, y);
  await page.mouse.down();
  await page.mouse.move(bar.x + width, y, { steps: 5 });
  await page.mouse.up();
}

/**
 * Selects lines `first`..`last` (1-based, whole lines, no trailing newline) of the active editor
 * and returns the selected character count once the status bar shows it.
 */
export async function selectLines(page: Page, first: number, last: number): Promise<number> {
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+Home');
  for (let i = 1; i < first; i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Home');
  for (let i = first; i < last; i++) await page.keyboard.press('Shift+ArrowDown');
  await page.keyboard.press('Shift+End');
  // The status bar's selection count updates late (and passes through the partial selection
  // on the way): wait until it reads the same twice in a row.
  const status = page.locator('#status\\.editor\\.selection');
  await status.filter({ hasText: /selected/ }).waitFor({ timeout: 15_000 });
  let reading = '';
  for (let i = 0; i < 50; i++) {
    await page.waitForTimeout(300);
    const now = (await status.textContent()) ?? '';
    if (now === reading) break;
    reading = now;
  }
  const match = /\((\d+) selected\)/.exec(reading);
  return match ? Number(match[1]) : 0;
}

/**
 * The inner frame of our extension's webview whose document contains `marker`. Webviews are
 * `iframe.webview[src*=extensionId=...]` wrapping `iframe#active-frame`; several can match.
 */
export async function findWebviewFrame(page: Page, extensionId: string, marker: string, timeoutMs = 60_000): Promise<FrameLocator> {
  const outer = page.locator(`iframe.webview[src*="extensionId=${extensionId}"]`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const count = await outer.count();
    for (let i = 0; i < count; i++) {
      const inner = outer.nth(i).contentFrame().locator('iframe#active-frame').contentFrame();
      if ((await inner.locator(marker).count().catch(() => 0)) > 0) return inner;
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no webview of ${extensionId} showed ${marker} within ${timeoutMs} ms`);
}

/** The Playwright Frame behind a webview's inner document, for evaluate(). */
export async function webviewFrameHandle(page: Page, marker: string): Promise<Frame | undefined> {
  for (const frame of page.frames()) {
    if (frame.name() !== 'active-frame' && !frame.url().includes('fake.html')) continue;
    if ((await frame.locator(marker).count().catch(() => 0)) > 0) return frame;
  }
  return undefined;
}
