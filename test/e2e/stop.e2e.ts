/**
 * Stop in real VS Code (code-server + Chromium, WASM) on the heavy run of issue 16: 16 samples ×
 * 3 sampling strategies × 512 tokens on the bundled model. From the panel's Stop button, the
 * "Sampling Lab: Stop" command and the Stop icon in the view's title bar, the run must show as stopped at once, keeping the tokens it
 * streamed, and then get its partial completions; Stop is inert while nothing runs. The latencies
 * are measured inside the pages (the press's event time to the frame that shows the stop), logged
 * against the issue's 200 ms, and held to a backstop (see STOP_BACKSTOP_MS).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Frame, FrameLocator, Page } from 'playwright-core';
import { REPO_ROOT } from './support/codeServer';
import { openLab, type Lab } from './support/lab';
import { heldOutPerson, birthplacePrompt } from './support/facts';
import { panelFrame } from './support/panel';
import { openFile, runCommand, selectLines, webviewFrameHandle } from './support/workbench';

const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');
/**
 * Issue 16, item 4 asks for "Stop → aborted shown ≤ 200 ms"; the test logs the figure against that
 * goal. It asserts only a backstop: a wall-clock bound on two cores shared with other work measures
 * the machine as much as the code (the house rule: speed is measured by npm run bench). The backstop
 * still fails the old behaviour, which showed "aborted" only once the worker's result came back
 * (4.0–5.8 s in the issue).
 */
const STOP_GOAL_MS = 200;
const STOP_BACKSTOP_MS = 2_000;
/** Stop once this many tokens are on the cards: a heavy page, mid-run. */
const STOP_AFTER_TOKENS = 1500;
/** The view headers in the side bar, where the Strategies view's Stop sits (shown always: workbench.view.alwaysShowHeaderActions; no other view there has a Stop). */
const VIEW_TITLE = '.part.sidebar .pane-header';

/** End of sequence (facts-lm's token 0) is banned, so every one of the 48 sequences runs to the model's context. */
const NO_EOS = { logitBias: { '0': false } };
const HEAVY_RUN = {
  'samplingLab.strategies': [
    { name: 'temperature', kind: 'temperature', temperature: 1.2, ...NO_EOS },
    { name: 'top-k', kind: 'top_k', topK: 40, ...NO_EOS },
    { name: 'top-p', kind: 'top_p', topP: 0.95, ...NO_EOS },
  ],
  'samplingLab.samples': 16,
  'samplingLab.maxNewTokens': 512,
  'samplingLab.cache.enabled': false,
};

interface StopTiming {
  /** The newest run's status when the stop was first shown. */
  status: string;
  /** Tokens on its cards in that frame. */
  tokens: number;
  /** performance.now() (of the webview) at the frame that first showed the run stopped. */
  shownAt: number;
  /** The same moment as wall-clock time, to compare with the workbench page's clock. */
  shownAtEpochMs: number;
  /** The Stop button's press (event time), when it came from the panel. */
  pressedAt?: number;
  /** When the host's cancel reached the webview (performance.now()), when it came from the host. */
  cancelAt?: number;
}

/**
 * Watches the newest run in the webview: records the first frame in which it no longer shows as
 * running, and the Stop button's press. Resolves in the page once the frame is shown.
 */
async function watchStop(frame: Frame): Promise<void> {
  await frame.evaluate(() => {
    const w = window as unknown as { stopTiming?: Partial<StopTiming> & { done?: boolean } };
    const timing: Partial<StopTiming> & { done?: boolean } = {};
    w.stopTiming = timing;
    const run = document.querySelector<HTMLElement>('#runs .run')!;
    document.getElementById('stop')!.addEventListener('click', (e) => (timing.pressedAt ??= e.timeStamp), { capture: true, once: true });
    window.addEventListener('message', (e) => (e.data?.type === 'cancel' ? (timing.cancelAt ??= e.timeStamp) : undefined), { capture: true });
    const observer = new MutationObserver(() => {
      if (run.dataset.status === 'running') return;
      observer.disconnect();
      timing.status = run.dataset.status;
      timing.tokens = run.querySelectorAll('.card .tok').length;
      // The frame that paints the change: its animation frame callback runs just before it.
      requestAnimationFrame(() => {
        timing.shownAt = performance.now();
        timing.shownAtEpochMs = performance.timeOrigin + timing.shownAt;
        timing.done = true;
      });
    });
    observer.observe(run, { attributes: true, attributeFilter: ['data-status'] });
  });
}

async function stopTiming(frame: Frame): Promise<StopTiming & { tasks: string }> {
  await frame.waitForFunction(() => (window as unknown as { stopTiming?: { done?: boolean } }).stopTiming?.done === true, undefined, { timeout: 60_000 });
  const timing = await frame.evaluate(() => (window as unknown as { stopTiming: StopTiming }).stopTiming);
  const from = timing.pressedAt ?? timing.cancelAt ?? timing.shownAt;
  const tasks = await frame.evaluate(
    ([from, to]) => {
      const all = (window as unknown as { longTasks: [number, number][] }).longTasks;
      const before = all.filter(([start]) => start < from);
      const during = all.filter(([start, duration]) => start + duration > from - 1000 && start < to);
      const max = (list: [number, number][]) => Math.max(0, ...list.map(([, d]) => d)).toFixed(0);
      return `webview long tasks while streaming: ${before.length}, longest ${max(before)} ms; around the stop: ${during.map(([s, d]) => `${(s - from).toFixed(0)}+${d.toFixed(0)}`).join(', ') || 'none'}`;
    },
    [from, timing.shownAt] as const,
  );
  return { ...timing, tasks: `${tasks}; load average ${os.loadavg()[0]!.toFixed(1)}` };
}

/** Starts the heavy run and waits until its cards have streamed `tokens` tokens. */
async function startHeavyRun(page: Page, panel: FrameLocator, frame: Frame | undefined, tokens: number): Promise<Frame> {
  await openFile(page, 'prompts.txt');
  await selectLines(page, 1, 2);
  await runCommand(page, 'Sampling Lab: Compare Strategies on Selection');
  await panel.locator('.run[data-status="running"]').first().waitFor({ state: 'attached', timeout: 300_000 });
  frame ??= await webviewFrameHandle(page, '#runs .run');
  assert.ok(frame, 'the panel webview frame');
  // The webview's long tasks (over 50 ms), for the log: what kept its main thread from answering.
  await frame.evaluate(() => {
    const w = window as unknown as { longTasks?: [number, number][] };
    if (w.longTasks) return;
    w.longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) w.longTasks!.push([entry.startTime, entry.duration]);
    }).observe({ type: 'longtask' });
  });
  await frame.waitForFunction(
    (n) => {
      const run = document.querySelector<HTMLElement>('#runs .run');
      if (run?.dataset.status !== 'running') throw new Error(`the run ended before it was stopped: ${run?.dataset.status}`);
      return run.querySelectorAll('.card .tok').length >= n;
    },
    tokens,
    { timeout: 300_000 },
  );
  return frame;
}

/** Waits for the host's final record of the newest run: stopped, with its partial completions. */
async function finalCards(panel: FrameLocator): Promise<{ state: string; finishReason: string; tokens: number }[]> {
  const run = panel.locator('.run').first();
  // The worker's partial result replaces the streamed lines with each card's completion.
  await panel.locator('.run').first().locator('.card[data-state="done"]').nth(2).waitFor({ state: 'attached', timeout: 120_000 });
  assert.equal(await run.getAttribute('data-status'), 'aborted');
  return run.locator('.card').evaluateAll((cards) =>
    cards.map((c) => ({ state: (c as HTMLElement).dataset.state ?? '', finishReason: (c as HTMLElement).dataset.finishReason ?? '', tokens: c.querySelectorAll('.tok').length })),
  );
}

describe('Stop, end to end (issue 16: shown at once, partial tokens kept)', function () {
  this.timeout(900_000);
  let lab: Lab | undefined;
  let workspace: string;
  let panel: FrameLocator;
  let frame: Frame | undefined;

  before(async () => {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-ws-'));
    // A person the model never saw: it makes up an answer and keeps going.
    fs.writeFileSync(path.join(workspace, 'prompts.txt'), `${birthplacePrompt(heldOutPerson(0))}\n`);
    lab = await openLab(workspace, { settings: { ...HEAVY_RUN, 'workbench.view.alwaysShowHeaderActions': true } });
  });

  after(async () => {
    await lab?.close();
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  it('shows Stop as inert while nothing runs', async () => {
    const { page } = lab!;
    await runCommand(page, 'Sampling Lab: Focus on Strategies View');
    panel = await panelFrame(page);
    const stop = panel.locator('#stop');
    await stop.waitFor({ state: 'visible' });
    assert.equal(await stop.isDisabled(), true, 'Stop is disabled with nothing running');
    const look = await stop.evaluate((b) => ({ background: getComputedStyle(b).backgroundColor, state: (b as HTMLElement).dataset.state }));
    assert.equal(look.state, 'idle');
    assert.equal(look.background, 'rgba(0, 0, 0, 0)', 'idle, Stop is not a filled primary button');
  });

  it("the panel's Stop button: the run shows stopped at once, keeping its tokens", async () => {
    const { page } = lab!;
    frame = await startHeavyRun(page, panel, frame, STOP_AFTER_TOKENS);
    const stop = panel.locator('#stop');
    assert.equal(await stop.isDisabled(), false, 'Stop is live while the run streams');
    assert.equal(await stop.getAttribute('data-state'), 'running');
    await watchStop(frame);
    await stop.click();
    const timing = await stopTiming(frame);
    const latencyMs = timing.shownAt - timing.pressedAt!;
    await page.screenshot({ path: path.join(RESULTS_DIR, 'stop-button.png') });
    console.log(`      Stop button → run shown ${timing.status}: ${latencyMs.toFixed(1)} ms (goal ${STOP_GOAL_MS} ms), ${timing.tokens} tokens kept on the cards\n        (${timing.tasks})`);
    assert.equal(timing.status, 'aborted');
    assert.ok(timing.tokens >= STOP_AFTER_TOKENS, `the streamed tokens stay on the cards (${timing.tokens})`);
    assert.ok(latencyMs <= STOP_BACKSTOP_MS, `Stop → "aborted" shown in ${latencyMs.toFixed(1)} ms (backstop ${STOP_BACKSTOP_MS} ms; goal ${STOP_GOAL_MS} ms)`);

    const cards = await finalCards(panel);
    assert.ok(cards.every((c) => c.finishReason === 'aborted' && c.tokens > 0), `each card keeps its partial completion: ${JSON.stringify(cards)}`);
    await stop.waitFor({ state: 'attached' });
    await frame.waitForFunction(() => (document.getElementById('stop') as HTMLButtonElement).disabled, undefined, { timeout: 60_000 });
  });

  /**
   * Stop pressed in the workbench (not in the panel): `press` clicks an element matching
   * `pressed`, whose mousedown is the start of the measure, on the workbench page's clock.
   */
  async function stopFromWorkbench(what: string, pressed: string, press: () => Promise<void>): Promise<void> {
    const { page } = lab!;
    frame = await startHeavyRun(page, panel, frame, STOP_AFTER_TOKENS);
    await watchStop(frame);
    await page.evaluate((selector) => {
      const w = window as unknown as { stopPressedAt?: number };
      w.stopPressedAt = undefined;
      document.addEventListener(
        'mousedown',
        (e) => {
          if ((e.target as Element).closest?.(selector)) w.stopPressedAt ??= performance.timeOrigin + e.timeStamp;
        },
        { capture: true },
      );
    }, pressed);
    await press();
    const timing = await stopTiming(frame);
    const pressedAt = await page.evaluate(() => (window as unknown as { stopPressedAt?: number }).stopPressedAt);
    assert.ok(pressedAt !== undefined, `${what} was pressed`);
    const latencyMs = timing.shownAtEpochMs - pressedAt;
    const hostMs = timing.cancelAt !== undefined ? timing.shownAtEpochMs - timing.shownAt + timing.cancelAt - pressedAt : NaN;
    console.log(`      ${what} → run shown ${timing.status}: ${latencyMs.toFixed(1)} ms (goal ${STOP_GOAL_MS} ms; the host's cancel reached the panel at ${hostMs.toFixed(1)} ms), ${timing.tokens} tokens kept on the cards\n        (${timing.tasks})`);
    assert.equal(timing.status, 'aborted');
    assert.ok(timing.tokens >= STOP_AFTER_TOKENS, `the streamed tokens stay on the cards (${timing.tokens})`);
    assert.ok(latencyMs <= STOP_BACKSTOP_MS, `Stop → "aborted" shown in ${latencyMs.toFixed(1)} ms (backstop ${STOP_BACKSTOP_MS} ms; goal ${STOP_GOAL_MS} ms)`);
    const cards = await finalCards(panel);
    assert.ok(cards.every((c) => c.finishReason === 'aborted' && c.tokens > 0), `each card keeps its partial completion: ${JSON.stringify(cards)}`);
  }

  it('"Sampling Lab: Stop" from the palette: the run shows stopped at once, keeping its tokens', async () => {
    // The press is the click on the palette's row (runCommand clicks it).
    await stopFromWorkbench('Sampling Lab: Stop', '.quick-input-list .monaco-list-row', () => runCommand(lab!.page, 'Sampling Lab: Stop'));
  });

  it("the Stop icon in the Strategies view's title bar: the run shows stopped at once, keeping its tokens", async () => {
    const icon = `${VIEW_TITLE} .action-label[aria-label^="Stop"]`;
    await stopFromWorkbench('Stop icon in the view title', icon, () => lab!.page.locator(icon).click());
  });
});
