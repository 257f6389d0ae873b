/**
 * One engine of the `speed` bench in its own process (so its load time and peak RSS are its
 * own): loads a model folder at one dtype with onnxruntime-node, or a .gguf file with llama.cpp
 * (dtype "gguf"), reports the load, then decodes
 * greedy tokens each time the parent asks, and reports peak RSS when told to stop.
 * Spawned by bench/speed.ts with process.send; not for use on its own.
 */
import { decodeBatch } from '../src/core/decode/decodeBatch';
import { strategyFromSettings } from '../src/core/decode/strategies';
import { isDtype } from '../src/core/model/hubModel';
import { parseThreads, type ThreadsChoice } from '../src/core/model/threads';
import { createSamplerChain } from '../src/core/sampling/chain';
import { createRng } from '../src/core/sampling/rng';
import type { CausalLM } from '../src/core/model/types';
import { llamaRuntime, loadGgufModel } from '../src/node/engines/llamacpp/llamaCppModel';
import { threadsForThisMachine } from '../src/node/threads';
import { loadNodeModel } from '../src/node/loadNodeModel';

export type EngineRequest = { kind: 'run'; newTokens: number } | { kind: 'stop' };
export type EngineReply =
  | { kind: 'loaded'; loadMs: number; threads: string }
  | { kind: 'ran'; ms: number; tokens: number; text: string }
  | { kind: 'stopped'; peakRssBytes: number }
  | { kind: 'error'; message: string };

async function main(): Promise<void> {
  const [folder, dtype, threadsArg] = process.argv.slice(2);
  const threads = parseThreads(threadsArg ?? 'auto');
  if (!folder || !(isDtype(dtype) || dtype === 'gguf' || dtype === 'gguf-native') || threads === undefined) {
    throw new Error('usage: speedEngine.ts FOLDER|FILE.gguf DTYPE|gguf|gguf-native THREADS');
  }
  const send = (m: EngineReply) => process.send!(m);
  if (dtype === 'gguf-native') return nativeLlamaCpp(folder, threads, send);
  let threadsLine = '';
  const t0 = performance.now();
  const onLog = (line: string) => (threadsLine = line);
  const model: CausalLM =
    dtype === 'gguf' ? await loadGgufModel({ file: folder, threads, onLog }) : await loadNodeModel({ device: 'cpu', model: folder, dtype, threads, onLog });
  send({ kind: 'loaded', loadMs: performance.now() - t0, threads: threadsLine });
  const promptIds = model.encodePrompt('Tell me about');
  const greedy = strategyFromSettings({ kind: 'greedy' });
  process.on('message', async (m: EngineRequest) => {
    if (m.kind === 'stop') {
      await model.dispose();
      send({ kind: 'stopped', peakRssBytes: process.resourceUsage().maxRSS * 1024 });
      process.exit(0);
    }
    const spec = { chain: createSamplerChain(greedy.sampler, model.vocabSize), rng: createRng(1), tag: { strategy: 0, sample: 0 } };
    const start = performance.now();
    const r = await decodeBatch(model, promptIds, [spec], { maxNewTokens: m.newTokens, ignoreEos: true });
    const seq = r.sequences[0]!;
    send({ kind: 'ran', ms: performance.now() - start, tokens: seq.tokens.length, text: seq.tokens.map((t) => t.token).join(',') });
  });
}

/**
 * llama.cpp's own greedy loop on a GGUF file (node-llama-cpp's sequence.evaluate at temperature
 * 0): the peer's speed without our decode loop, sampler chain or the full distribution per step.
 */
async function nativeLlamaCpp(file: string, threads: ThreadsChoice, send: (m: EngineReply) => void): Promise<void> {
  const t0 = performance.now();
  const decision = threadsForThisMachine(threads);
  const llama = await llamaRuntime();
  const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: Math.min(model.trainContextSize || 2048, 2048), sequences: 1, threads: decision.threads });
  const sequence = context.getSequence();
  send({ kind: 'loaded', loadMs: performance.now() - t0, threads: decision.reason });
  const bos = model.tokens.bos;
  const promptIds = [...(model.tokens.shouldPrependBosToken && bos !== null ? [bos] : []), ...model.tokenize('Tell me about', false)];
  process.on('message', async (m: EngineRequest) => {
    if (m.kind === 'stop') {
      await context.dispose();
      await model.dispose();
      send({ kind: 'stopped', peakRssBytes: process.resourceUsage().maxRSS * 1024 });
      process.exit(0);
    }
    await sequence.clearHistory();
    const tokens: number[] = [];
    const start = performance.now();
    for await (const token of sequence.evaluate(promptIds, { temperature: 0 })) {
      tokens.push(token);
      if (tokens.length >= m.newTokens) break;
    }
    send({ kind: 'ran', ms: performance.now() - start, tokens: tokens.length, text: tokens.join(',') });
  });
}

main().catch((e) => {
  process.send?.({ kind: 'error', message: (e as Error).stack ?? String(e) } satisfies EngineReply);
  process.exit(1);
});
