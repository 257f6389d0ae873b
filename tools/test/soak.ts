/**
 * `npm run soak [-- --runs N]`: the soak suite (test/soak) in one extension host of code-server,
 * default 1,000 comparisons with Stop at random points. When the suite asks (a console line
 * "SOAK-MEASURE label file"), this side measures the webview from the browser: the panel's JS
 * heap and the model worker's, after a forced GC, and how many model workers run. Writes the
 * figures to BENCHMARKS.md's "Soak" section. Not part of `npm test`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from '../../test/e2e/support/codeServer';
import { runInExtensionHost } from '../../test/e2e/support/extensionHost';
import { webviewFrameHandle } from '../../test/e2e/support/workbench';
import { writeTestWorkspace } from '../../test/extension/workspace';
import { writeSection } from './benchmarksFile';

const MODEL_WORKER_NAME = 'sampling-lab-model';

function parseRuns(argv: string[]): number {
  if (argv.length === 0) return 1000;
  if (argv[0] === '--runs' && argv[1] && /^[1-9]\d*$/.test(argv[1]) && argv.length === 2) return Number(argv[1]);
  throw new Error('soak: the only flag is --runs N (N ≥ 1; default 1000).');
}

type Heap = number | null;

/** The webview as the browser sees it: the panel document's heap, and its model workers' (after GC; null where Chromium does not say). */
async function measureWebview(page: Page): Promise<{ panelHeapBytes: Heap; modelWorkers: number | null; workerHeapBytes: Heap }> {
  const heap = () => {
    (globalThis as { gc?: () => void }).gc?.();
    return (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? null;
  };
  const panel = await webviewFrameHandle(page, '#runs');
  const panelHeapBytes = panel ? await panel.evaluate(heap).catch(() => null) : null;
  let modelWorkers = 0;
  let workerHeapBytes: Heap = null;
  for (const worker of page.workers()) {
    const name = await worker.evaluate(() => (self as unknown as { name?: string }).name ?? '').catch(() => '');
    if (name !== MODEL_WORKER_NAME) continue;
    modelWorkers++;
    const bytes = await worker.evaluate(heap).catch(() => null);
    if (bytes !== null) workerHeapBytes = (workerHeapBytes ?? 0) + bytes;
  }
  return { panelHeapBytes, modelWorkers: page.workers().length > 0 ? modelWorkers : null, workerHeapBytes };
}

async function main(): Promise<number> {
  const runs = parseRuns(process.argv.slice(2));
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-soak-'));
  const code = await runInExtensionHost({
    testsPath: path.join(REPO_ROOT, 'out', 'test', 'soak', 'index.js'),
    workspace: writeTestWorkspace,
    timeoutMs: 180 * 60_000,
    env: { SAMPLING_LAB_SOAK_RUNS: String(runs), SAMPLING_LAB_SOAK_DIR: outDir },
    chromiumArgs: ['--js-flags=--expose-gc', '--enable-precise-memory-info'],
    onHostLog: (line, workbench) => {
      const ask = /SOAK-MEASURE (\S+) (\S+)/.exec(line);
      if (!ask) return;
      void measureWebview(workbench.page)
        .catch(() => ({ panelHeapBytes: null, modelWorkers: null, workerHeapBytes: null }))
        // Written aside and renamed: the suite reads the file as soon as its name appears.
        .then((m) => {
          fs.writeFileSync(`${ask[2]!}.part`, JSON.stringify(m));
          fs.renameSync(`${ask[2]!}.part`, ask[2]!);
        });
    },
  });
  const resultFile = path.join(outDir, 'result.json');
  if (fs.existsSync(resultFile)) {
    const r = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
    const mb = (x: number | null) => (x === null ? 'n/a' : `${(x / 1e6).toFixed(1)} MB`);
    const pct = (a: number | null, b: number | null) => (a === null || b === null ? '' : ` (${b >= a ? '+' : ''}${(((b - a) / a) * 100).toFixed(1)}%)`);
    const row = (what: string, a: number | null, b: number | null) => `| ${what} | ${mb(a)} | ${mb(b)}${pct(a, b)} |`;
    const markdown = [
      '## Soak (`npm run soak`)',
      '',
      `Run on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ` +
        `load average ${os.loadavg()[0]!.toFixed(1)} at the end. ${r.runs} comparisons (2 sampled strategies, up to 32 new tokens each, WASM in the panel's worker) in one extension host ` +
        `in ${Math.round(r.seconds)} s; about half had Stop pressed at a random point (at once or after 1–64 streamed tokens; by the command or the panel's Stop), ` +
        `some after they had finished: ` +
        `${Object.entries(r.statuses).map(([k, v]) => `${v} ${k}`).join(', ')}. Memory after a forced GC, after run ${r.first.runs} and after run ${r.last.runs}:`,
      '',
      `| | after run ${r.first.runs} | after run ${r.last.runs} |`,
      '| --- | ---: | ---: |',
      row('extension host heap', r.first.hostHeapBytes, r.last.hostHeapBytes),
      row('extension host RSS', r.first.hostRssBytes, r.last.hostRssBytes),
      row('panel (webview) JS heap', r.first.webview.panelHeapBytes, r.last.webview.panelHeapBytes),
      row('model worker JS heap', r.first.webview.workerHeapBytes, r.last.webview.workerHeapBytes),
      '',
      'n/a: Chromium gives a dedicated worker no `performance.memory`, so the worker is counted, not weighed; its model is the one ORT session below.',
      '',
      `Left behind after the last run: ${r.last.resources.pendingReplies} requests waiting for a reply, ${r.last.resources.runsInProgress} runs in progress, ` +
        `${r.last.resources.closedListeners} listeners on the panel's closing (${r.first.resources.closedListeners} after run ${r.first.runs}: the model session's own), ` +
        `${r.last.webview.modelWorkers ?? 'n/a'} model workers (${r.first.webview.modelWorkers ?? 'n/a'} after run ${r.first.runs}); ` +
        `the model was ${r.last.modelKey === r.first.modelKey ? 'never reloaded (one ORT session throughout)' : 'reloaded'}.`,
    ].join('\n');
    writeSection('soak', markdown);
    console.log(`\n${markdown}\n`);
  } else console.log('soak: no result was written (the suite failed before the end).');
  fs.rmSync(outDir, { recursive: true, force: true });
  return code;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
