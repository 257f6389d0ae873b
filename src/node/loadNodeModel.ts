/**
 * Loads a model in Node with transformers.js: `cpu` runs onnxruntime-node, `wasm` runs
 * onnxruntime-web's WebAssembly build (the backend the webview uses without WebGPU).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadTransformersModel, type LoadProgress, type TransformersModule } from '../core/model/transformersModel';
import { ModelLoadError } from '../core/model/errors';
import type { CausalLM } from '../core/model/types';
import type { NodeBackend } from '../core/model/backends';
import type { DtypeChoice } from '../core/model/hubModel';
import type { ThreadsChoice } from '../core/model/threads';
import { isGgufPath, loadGgufModel } from './engines/llamacpp/llamaCppModel';
import { ensureModel, externalDataOf, type EnsureModelOptions } from './modelFolder';
import { threadsForThisMachine } from './threads';

export type NodeDevice = NodeBackend;

export interface NodeModelOptions {
  /** The bundled model's name, a folder, or a hub id owner/name[@revision]. */
  model?: string;
  device?: NodeDevice;
  dtype?: DtypeChoice;
  /** onnxruntime-node's intra-op threads (cpu only; WASM in Node runs 1): auto (default) or N, decided once here. */
  threads?: ThreadsChoice;
  /** Lines for the log: the thread count chosen and why. */
  onLog?: (line: string) => void;
  onProgress?: (p: LoadProgress) => void;
  /** Download progress and cancellation, for hub ids. */
  onDownload?: EnsureModelOptions['onDownload'];
  signal?: AbortSignal;
  hub?: EnsureModelOptions['hub'];
}

let loadedWith: NodeDevice | undefined;

export async function loadNodeModel(options: NodeModelOptions = {}): Promise<CausalLM> {
  const device = options.device ?? 'cpu';
  if (isGgufPath(options.model)) {
    // A GGUF file is llama.cpp's: every command that loads a model takes one.
    if (device !== 'cpu') throw new ModelLoadError(`A .gguf model runs on llama.cpp on the CPU, not "${device}".`, options.model);
    if (options.dtype !== undefined && options.dtype !== 'auto') throw new ModelLoadError(`A .gguf file carries its own quantization; dtype "${options.dtype}" picks an ONNX file.`, options.model);
    return loadGgufModel({ file: options.model, threads: options.threads, onLog: options.onLog, signal: options.signal });
  }
  const location = await ensureModel(options.model, { dtype: options.dtype, device, signal: options.signal, onDownload: options.onDownload, hub: options.hub });
  if (loadedWith && loadedWith !== device) {
    // transformers.js picks its ONNX runtime once per process.
    throw new ModelLoadError(`This process already loaded transformers.js for "${loadedWith}"; run "${device}" in a new process.`);
  }
  if (device === 'wasm' && !loadedWith) {
    // Register onnxruntime-web before transformers.js loads, or it binds onnxruntime-node.
    const ort = require('onnxruntime-web') as { env: { wasm: { wasmPaths: string; numThreads: number } } };
    ort.env.wasm.wasmPaths = path.join(path.dirname(require.resolve('onnxruntime-web')), path.sep);
    ort.env.wasm.numThreads = 1;
    (globalThis as Record<symbol, unknown>)[Symbol.for('onnxruntime')] = ort;
  }
  loadedWith = device;
  let sessionOptions: Record<string, unknown>;
  if (device === 'wasm') sessionOptions = { executionProviders: ['wasm'] };
  else {
    const decision = threadsForThisMachine(options.threads ?? 'auto');
    options.onLog?.(decision.reason);
    sessionOptions = { intraOpNumThreads: decision.threads };
  }
  const transformers = (await import('@huggingface/transformers')) as unknown as TransformersModule;
  // Hub models were pulled into the cache by ensureModel: transformers.js reads a folder either way.
  transformers.env.allowRemoteModels = false;
  return loadTransformersModel({
    transformers,
    modelId: location.id,
    name: location.name,
    localModelPath: location.parent + path.sep,
    // onnxruntime-node reads the graph's data files itself; onnxruntime-web (WASM) is handed them.
    externalData: device === 'wasm' ? externalDataOf(location.dir, location.dtype) : undefined,
    chatTemplate: readChatTemplate(location.dir),
    device,
    // With onnxruntime-web registered in Node, transformers.js lists no devices; "auto" is the one
    // value it accepts, and the session's executionProviders pick WASM.
    runtimeDevice: device === 'wasm' ? 'auto' : undefined,
    dtype: location.dtype,
    sessionOptions,
    onProgress: options.onProgress,
  });
}

/** chat_template.jinja beside the model, which newer exports use instead of tokenizer_config.json's chat_template. */
function readChatTemplate(dir: string): string | undefined {
  const file = path.join(dir, 'chat_template.jinja');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
}
