/**
 * Hub models: download throughput of the hub client (stream to disk, sha256, progress) against a
 * raw HTTP read of the same file from the same server, side by side; then the time to load the
 * ~80 MB q8 Qwen3-shaped model from the Hugging Face cache, against loading the same files from a
 * plain folder, and the time to the first token. The model and the hub are generated here
 * (test/support), nothing is downloaded from outside.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { request } from 'undici';
import { compareStrategies } from '../src/core/decode/compare';
import { strategyFromSettings } from '../src/core/decode/strategies';
import { parseHubId } from '../src/core/model/hubModel';
import { hubConfig } from '../src/node/hub/hubConfig';
import { pullModel } from '../src/node/hub/pullModel';
import { loadNodeModel } from '../src/node/loadNodeModel';
import { startHubServerProcess } from './hubServerProcess';
import { BENCH_SHAPE, qwen3RandomFiles } from '../test/support/qwen3Model';

const REPO = 'bench/qwen3-random-q8';
const GRAPH = 'onnx/model_quantized.onnx';
/** Downloads take a second each and vary from round to round more than loads do. */
const DOWNLOAD_ROUNDS = 7;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function benchHub(rounds = 3): Promise<{ markdown: string }> {
  // Each phase's time is printed, so a run cut short on a busy machine says where it was.
  const started = performance.now();
  const phase = (what: string) => console.log(`  hub bench: ${what} at ${((performance.now() - started) / 1000).toFixed(0)} s`);
  const files = qwen3RandomFiles(BENCH_SHAPE, ['q8']);
  phase('model generated');
  const size = files[GRAPH]!.length;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-hub-'));
  const server = await startHubServerProcess(REPO, files, path.join(root, 'served'));
  const id = parseHubId(REPO)!;
  const rawFetch: number[] = [];
  const rawRequest: number[] = [];
  const pulled: number[] = [];
  // Raw reads of the CDN URL the hub redirects to, body read and dropped: with fetch, and with
  // undici's request (the client's own transport). The goal is taken against the faster of the two.
  const rawRead = async (read: () => Promise<AsyncIterable<Uint8Array>>, into: number[]) => {
    const t0 = performance.now();
    let n = 0;
    for await (const chunk of await read()) n += chunk.length;
    if (n !== size) throw new Error(`raw read got ${n} of ${size} bytes`);
    into.push(size / ((performance.now() - t0) / 1000));
  };
  try {
    // A first round warms both sides up (the JIT, the server's file cache) and is not counted:
    // cold, the first raw read ran at a quarter of its later speed.
    await rawRead(async () => (await request(server.cdn[GRAPH]!)).body, []);
    await pullModel(id, hubConfig({ endpoint: server.endpoint, cacheDir: path.join(root, 'cache-warm') }, {}), { dtype: 'q8' });
    for (let i = 0; i < DOWNLOAD_ROUNDS; i++) {
      await rawRead(async () => (await fetch(server.cdn[GRAPH]!)).body as unknown as AsyncIterable<Uint8Array>, rawFetch);
      await rawRead(async () => (await request(server.cdn[GRAPH]!)).body, rawRequest);
      // The hub client: resolve, redirect, stream to the cache, sha256, rename, link.
      const cacheDir = path.join(root, `cache-${i}`);
      const t0 = performance.now();
      const done = await pullModel(id, hubConfig({ endpoint: server.endpoint, cacheDir }, {}), { dtype: 'q8' });
      const seconds = (performance.now() - t0) / 1000;
      pulled.push(done.downloaded / seconds);
    }
    phase(`${DOWNLOAD_ROUNDS} downloads and raw reads done`);
    const cacheDir = path.join(root, 'cache-0');
    const folder = path.join(root, 'folder');
    for (const [rel, data] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(folder, rel)), { recursive: true });
      fs.writeFileSync(path.join(folder, rel), data);
    }
    // Loads in one process: transformers.js binds its runtime once. Alternate the two sources.
    const fromCache: number[] = [];
    const fromFolder: number[] = [];
    const firstToken: number[] = [];
    const greedy = strategyFromSettings({ kind: 'greedy' }, 'bench');
    process.env.HF_HUB_OFFLINE = '1';
    process.env.HF_HUB_CACHE = cacheDir;
    for (let i = 0; i < rounds; i++) {
      for (const [source, times] of [[REPO, fromCache], [folder, fromFolder]] as const) {
        const t0 = performance.now();
        const model = await loadNodeModel({ model: source, dtype: 'q8' });
        times.push(performance.now() - t0);
        if (source === REPO) {
          const t1 = performance.now();
          await compareStrategies(model, 'Where is Paris?', [greedy], { maxNewTokens: 1, seed: 1 });
          firstToken.push(performance.now() - t1);
        }
        await model.dispose();
      }
    }
    phase(`${rounds * 2} loads done`);
    delete process.env.HF_HUB_OFFLINE;
    delete process.env.HF_HUB_CACHE;
    const mb = (bps: number) => (bps / 1e6).toFixed(0);
    const markdown = [
      `Qwen3-shaped random model (vocabulary 151,936, hidden ${BENCH_SHAPE.hiddenSize}): q8 graph ${(size / 1e6).toFixed(1)} MB, tokenizer.json ${(files['tokenizer.json']!.length / 1e6).toFixed(1)} MB; hub test server on 127.0.0.1 in a process of its own; medians of ${DOWNLOAD_ROUNDS} interleaved download rounds after one uncounted warm-up, and of ${rounds} load rounds; the whole section took ${((performance.now() - started) / 1000).toFixed(0)} s; load average ${os.loadavg()[0]!.toFixed(2)}.`,
      '',
      '| measurement | value | against | ratio |',
      '|---|---|---|---|',
      `| download: hub client (redirect, stream to disk, sha256, cache layout), MB/s | ${mb(median(pulled))} | raw HTTP read of the q8 graph, the faster of fetch (${mb(median(rawFetch))} MB/s) and undici's request (${mb(median(rawRequest))} MB/s) | ${(median(pulled) / Math.max(median(rawFetch), median(rawRequest))).toFixed(2)}× (goal ≥ 0.8×) |`,
      `| load from the Hugging Face cache (symlinked snapshot), ms | ${median(fromCache).toFixed(0)} | same files in a plain folder, ${median(fromFolder).toFixed(0)} ms | ${(median(fromCache) / median(fromFolder)).toFixed(2)}× |`,
      `| time to the first token after the load (the chat-templated prompt's prefill and one step), ms | ${median(firstToken).toFixed(0)} | | |`,
    ].join('\n');
    return { markdown };
  } finally {
    await server.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}
