/**
 * The soak: many comparisons in one extension host, with Stop pressed at random points (from the
 * command and from the panel's button), then what the host and the webview hold compared with
 * after the first 50 runs: memory within 10%, and no request, listener, run, worker or model
 * session left behind. The launcher (tools/test/soak.ts) measures the webview from the browser
 * when asked through the console, and writes the figures to BENCHMARKS.md.
 */
import { mulberry32 } from '../support/qwen3Model';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import * as vscode from 'vscode';
import type { HostResources } from '../../src/extension/api';
import type { RunRecord } from '../../src/protocol/messages';
import { askLauncher, labApi, nextEvent, useSettingsInSuite } from '../extension/extensionApi';

const RUNS = Number(process.env.SAMPLING_LAB_SOAK_RUNS ?? '1000');
const FIRST = Math.min(50, RUNS);
const OUT_DIR = process.env.SAMPLING_LAB_SOAK_DIR ?? '';
const MAX_NEW_TOKENS = 32;
const PROMPTS = ['Q: Where was Kawe Steiga born?\nA:', 'Q: Where was Ada Lovelace born?\nA:', 'The town of Belcastro', 'Q: What did Taithhei Themrol do?\nA:'];

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;


interface Measure {
  label: string;
  runs: number;
  hostHeapBytes: number;
  hostRssBytes: number;
  resources: HostResources;
  modelKey: string;
  /** Filled by the launcher from the browser. */
  webview: { panelHeapBytes: number | null; modelWorkers: number | null; workerHeapBytes: number | null };
}

/** Asks the launcher to measure the webview (it sees the console), and waits for its answer file. */
async function measureWebview(label: string): Promise<Measure['webview']> {
  if (!OUT_DIR) return { panelHeapBytes: null, modelWorkers: null, workerHeapBytes: null };
  const file = path.join(OUT_DIR, `webview-${label}.json`);
  return JSON.parse(await askLauncher(`SOAK-MEASURE ${label} ${file}`, file));
}

async function measure(label: string, runs: number): Promise<Measure> {
  const api = await labApi();
  for (let i = 0; i < 3; i++) gc();
  const memory = process.memoryUsage();
  const state = api.modelState();
  return {
    label,
    runs,
    hostHeapBytes: memory.heapUsed,
    hostRssBytes: memory.rss,
    resources: api.resources(),
    modelKey: state.status === 'ready' ? state.key : state.status,
    webview: await measureWebview(label),
  };
}

describe('soak', function () {
  this.timeout(0);
  // Two sampled strategies: at these temperatures EOS comes late, so most stops land mid-run.
  useSettingsInSuite({
    'cache.enabled': false,
    strategies: [{ kind: 'temperature', temperature: 1.5 }, { kind: 'top_k', topK: 40, temperature: 1.2 }],
    maxNewTokens: MAX_NEW_TOKENS,
    samples: 1,
  });

  it(`${RUNS} comparisons with Stop at random points leave memory within 10% and nothing behind`, async () => {
    const api = await labApi();
    // The same stop points on every soak.
    const random = mulberry32(12_345);
    const statuses: Record<string, number> = {};
    const measures: Measure[] = [];
    const started = Date.now();
    for (let i = 1; i <= RUNS; i++) {
      // Half the runs are stopped: at once, or after 1..2 × MAX_NEW_TOKENS tokens (both cards stream); by the command or the panel's button.
      const stopAfter = random() < 0.5 ? Math.floor(random() * (2 * MAX_NEW_TOKENS + 1)) : -1;
      const byPanel = random() < 0.5;
      let run: RunRecord | undefined;
      const prompt = PROMPTS[i % PROMPTS.length]!;
      if (stopAfter < 0) {
        run = await vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.compareSelection', { prompt });
      } else {
        const subs: vscode.Disposable[] = [];
        const reached = new Promise<void>((resolve) => {
          subs.push(api.onDidStartRun(() => stopAfter === 0 && resolve()));
          subs.push(api.onTokens((e) => e.count >= stopAfter && resolve()));
        });
        const running = Promise.resolve(vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.compareSelection', { prompt }));
        await Promise.race([reached, running]);
        for (const s of subs) s.dispose();
        if (byPanel) api.receiveFromPanel({ type: 'stop' });
        else await vscode.commands.executeCommand('samplingLab.stop');
        run = await running;
      }
      assert.ok(run, `run ${i} returned a record (last error: ${api.lastError()})`);
      assert.ok(run.status === 'done' || run.status === 'aborted', `run ${i}: ${run.status} ${run.error ?? ''}`);
      statuses[run.status] = (statuses[run.status] ?? 0) + 1;
      if (i === FIRST || i === RUNS) measures.push(await measure(i === FIRST ? 'first' : 'last', i));
      if (i % 100 === 0) console.log(`soak: ${i} runs, ${JSON.stringify(statuses)}, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    const [first, last] = [measures[0]!, measures.at(-1)!];
    const result = { runs: RUNS, statuses, seconds: (Date.now() - started) / 1000, first, last };
    console.log(`SOAK-RESULT ${JSON.stringify(result)}`);
    if (OUT_DIR) fs.writeFileSync(path.join(OUT_DIR, 'result.json'), JSON.stringify(result, null, 2));

    assert.ok(last.hostHeapBytes <= first.hostHeapBytes * 1.1, `extension host heap ${mb(first.hostHeapBytes)} → ${mb(last.hostHeapBytes)}`);
    if (first.webview.panelHeapBytes !== null && last.webview.panelHeapBytes !== null) {
      assert.ok(last.webview.panelHeapBytes <= first.webview.panelHeapBytes * 1.1, `panel heap ${mb(first.webview.panelHeapBytes)} → ${mb(last.webview.panelHeapBytes)}`);
    }
    if (first.webview.workerHeapBytes !== null && last.webview.workerHeapBytes !== null) {
      assert.ok(last.webview.workerHeapBytes <= first.webview.workerHeapBytes * 1.1, `worker heap ${mb(first.webview.workerHeapBytes)} → ${mb(last.webview.workerHeapBytes)}`);
    }
    assert.deepEqual(last.resources, first.resources, 'no request, listener or run left behind');
    assert.equal(last.resources.pendingReplies, 0);
    assert.equal(last.resources.runsInProgress, 0);
    assert.equal(last.webview.modelWorkers, first.webview.modelWorkers, 'no worker leaked');
    assert.equal(last.modelKey, first.modelKey, 'the same model session throughout: none reloaded, none leaked');
  });
});

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
