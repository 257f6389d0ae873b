/**
 * The `speed` bench: greedy decode speed of our onnxruntime-node path at fp32, q8 and q4, and of
 * llama.cpp (node-llama-cpp) at F32, Q8_0 and Q4_0 on the same weights converted to GGUF by
 * tools/model/gguf.py, on the random-weight SmolLM2-135M-shaped model, beside the
 * memory-bandwidth floor measured in the same run. Both run our decode loop and sampler chain
 * over the engine's full next-token distribution, so the rows compare the engines' forward pass. Each engine runs in its own process (its own load time and peak RSS); rounds
 * interleave the engines and the floor kernel, so a busy machine slows all of them alike.
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { onnxFileFor, type Dtype } from '../src/core/model/hubModel';
import type { EngineReply } from './speedEngine';

export interface SpeedOptions {
  folder: string;
  label: string;
  newTokens?: number;
  rounds?: number;
  threads?: string;
  log?: (line: string) => void;
}

interface Engine {
  name: string;
  /** Short label for progress lines: fp32, q8, q4, F32, Q8_0, Q4_0. */
  dtype: string;
  weightBytes: number;
  child: ChildProcess;
  loadMs: number;
  threads: string;
  tokPerSec: number[];
  tokens: string;
  peakRssBytes: number;
}

const FLOOR_BYTES = 256 * 1024 * 1024;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Memory bandwidth in bytes/s: a 256 MiB copy (TypedArray.set is a memmove), counted as the
 * bytes read plus the bytes written, best of three. Decoding one token reads every weight once,
 * so weight bytes / this is the fastest a token can be.
 */
function copyBandwidth(src: Float64Array, dst: Float64Array): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    dst.set(src);
    best = Math.min(best, performance.now() - t0);
  }
  if (dst[dst.length - 1] !== src[src.length - 1]) throw new Error('the copy kernel did not copy');
  return (2 * src.byteLength) / (best / 1000);
}

function next(child: ChildProcess): Promise<EngineReply> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`engine exited with ${code} before replying`));
    child.once('exit', onExit);
    child.once('message', (m: EngineReply) => {
      child.off('exit', onExit);
      if (m.kind === 'error') reject(new Error(m.message));
      else resolve(m);
    });
  });
}

/** GGUF types llama.cpp runs beside ours: F32 and its own quantizations of the same weights. */
const GGUF_TYPES = ['F32', 'Q8_0', 'Q4_0'] as const;

/** The bench model as GGUF files (tools/model/gguf.py; beside the ONNX export, gitignored), converted on first use. */
function ggufFiles(folder: string, log: (line: string) => void): { files?: string[]; why?: string } {
  const out = path.join(folder, 'gguf');
  const files = GGUF_TYPES.map((t) => path.join(out, `${path.basename(folder)}-${t}.gguf`));
  if (files.every((f) => fs.existsSync(f))) return { files };
  log('Converting the benchmark model to GGUF (tools/model/gguf.py)…');
  const r = spawnSync('/usr/bin/python3', [path.join(__dirname, '..', 'tools', 'model', 'gguf.py'), folder, out, ...GGUF_TYPES], { encoding: 'utf8' });
  return r.status === 0 ? { files } : { why: `tools/model/gguf.py failed: ${r.stderr.trim().split('\n').at(-1)}` };
}

async function startEngine(folder: string, dtype: Dtype, threads: string): Promise<Engine> {
  const child = fork(path.join(__dirname, 'speedEngine.ts'), [folder, dtype, threads], {
    execArgv: ['-r', path.join(__dirname, '..', 'test', 'support', 'register.cjs')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const loaded = await next(child);
  if (loaded.kind !== 'loaded') throw new Error(`engine ${dtype}: expected a load report`);
  const weightBytes = fs.statSync(path.join(folder, ...onnxFileFor(dtype).split('/'))).size;
  return { name: `ours ${dtype} (onnxruntime-node)`, dtype, weightBytes, child, loadMs: loaded.loadMs, threads: loaded.threads, tokPerSec: [], tokens: '', peakRssBytes: 0 };
}

async function startLlamaCpp(file: string, type: string, threads: string, native: boolean): Promise<Engine> {
  const child = fork(path.join(__dirname, 'speedEngine.ts'), [file, native ? 'gguf-native' : 'gguf', threads], {
    execArgv: ['-r', path.join(__dirname, '..', 'test', 'support', 'register.cjs')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const loaded = await next(child);
  if (loaded.kind !== 'loaded') throw new Error(`llama.cpp ${type}: expected a load report`);
  const name = native ? `llama.cpp ${type}, its own greedy loop` : `llama.cpp ${type} (node-llama-cpp), our loop`;
  return { name, dtype: native ? `${type} native` : type, weightBytes: fs.statSync(file).size, child, loadMs: loaded.loadMs, threads: loaded.threads, tokPerSec: [], tokens: '', peakRssBytes: 0 };
}

export async function benchSpeed(options: SpeedOptions): Promise<{ markdown: string }> {
  const log = options.log ?? console.log;
  const newTokens = options.newTokens ?? 64;
  const rounds = options.rounds ?? 5;
  const threads = options.threads ?? '1';
  const loadBefore = os.loadavg()[0]!;
  const engines: Engine[] = [];
  // One at a time, so each load time is the engine's alone.
  for (const dtype of ['fp32', 'q8', 'q4'] as Dtype[]) engines.push(await startEngine(options.folder, dtype, threads));
  const gguf = ggufFiles(options.folder, log);
  for (const native of [false, true]) {
    for (const [i, file] of (gguf.files ?? []).entries()) engines.push(await startLlamaCpp(file, GGUF_TYPES[i]!, threads, native));
  }
  const src = new Float64Array(FLOOR_BYTES / 8).map((_, i) => i);
  const dst = new Float64Array(FLOOR_BYTES / 8);
  const bandwidth: number[] = [];
  for (const e of engines) {
    e.child.send({ kind: 'run', newTokens: 4 }); // warm-up
    await next(e.child);
  }
  for (let r = 0; r < rounds; r++) {
    bandwidth.push(copyBandwidth(src, dst));
    for (const e of r % 2 === 0 ? engines : [...engines].reverse()) {
      e.child.send({ kind: 'run', newTokens });
      const ran = await next(e.child);
      if (ran.kind !== 'ran') throw new Error('expected a run report');
      e.tokPerSec.push((ran.tokens * 1000) / ran.ms);
      e.tokens = ran.text;
    }
    log(`  speed round ${r + 1}/${rounds}: ${engines.map((e) => `${e.dtype} ${e.tokPerSec.at(-1)!.toFixed(1)}`).join(', ')} tok/s, floor copy ${(bandwidth.at(-1)! / 1e9).toFixed(1)} GB/s`);
  }
  for (const e of engines) {
    e.child.send({ kind: 'stop' });
    const stopped = await next(e.child);
    if (stopped.kind === 'stopped') e.peakRssBytes = stopped.peakRssBytes;
  }
  const loadAfter = os.loadavg()[0]!;
  const bw = median(bandwidth);
  const fp32 = median(engines[0]!.tokPerSec);
  const same = engines.filter((e) => e.tokens === engines[0]!.tokens).map((e) => e.dtype);
  const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;
  const rows = engines.map((e) => {
    const tps = median(e.tokPerSec);
    const floor = bw / e.weightBytes;
    return `| ${e.name} | ${mb(e.weightBytes)} | ${tps.toFixed(1)} | ${floor.toFixed(1)} | ${((100 * tps) / floor).toFixed(0)}% | ${(tps / fp32).toFixed(2)}× | ${(e.loadMs / 1000).toFixed(2)} s | ${mb(e.peakRssBytes)} |`;
  });
  const markdown = [
    `Model: ${options.label}. Greedy, ${newTokens} new tokens after "Tell me about", median of ${rounds} interleaved rounds; ` +
      `${engines[0]!.threads || `threads ${threads}`}. Load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after.`,
    '',
    `Bandwidth floor: a 256 MiB copy measured in each round, median ${(bw / 1e9).toFixed(1)} GB/s (bytes read + written). ` +
      'A token reads every weight once, so floor tok/s = bandwidth ÷ the dtype\'s weight bytes (its ONNX or GGUF file). ' +
      'The "our loop" rows run our decode loop and sampler chain over the engine\'s full next-token distribution (llama.cpp\'s through node-llama-cpp\'s controlledEvaluate with probabilities); ' +
      'the "its own greedy loop" rows are llama.cpp sampling greedily itself (sequence.evaluate at temperature 0), the peer as it runs alone.',
    '',
    '| engine | weights | tok/s | floor tok/s | % of floor | × ours-fp32 | load | peak RSS |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `Greedy tokens identical to ours-fp32's on this random-weight model: ${same.join(', ')} (of ${engines.map((e) => e.dtype).join(', ')}; random weights give near-flat logits, so quantization, and llama.cpp's F16 KV cache, may flip the argmax here; the accuracy that counts is facts-lm's, in its model card and test/integration/llamacpp.test.ts).`,
    ...(gguf.why ? ['', `llama.cpp rows not measured: ${gguf.why}`] : []),
  ].join('\n');
  return { markdown };
}
