/**
 * Loads a model in Node with transformers.js: `cpu` runs onnxruntime-node, `wasm` runs
 * onnxruntime-web's WebAssembly build (the backend the webview uses without WebGPU).
 */
import * as path from 'node:path';
import { loadTransformersModel, type LoadProgress, type TransformersModule } from '../core/model/transformersModel';
import { ModelLoadError } from '../core/model/errors';
import type { CausalLM } from '../core/model/types';
import { resolveModel } from './modelFolder';

export type NodeDevice = 'cpu' | 'wasm';

export interface NodeModelOptions {
  model?: string;
  device?: NodeDevice;
  onProgress?: (p: LoadProgress) => void;
}

let loadedWith: NodeDevice | undefined;

export async function loadNodeModel(options: NodeModelOptions = {}): Promise<CausalLM> {
  const device = options.device ?? 'cpu';
  const location = resolveModel(options.model);
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
  const transformers = (await import('@huggingface/transformers')) as unknown as TransformersModule;
  // Hub ids download (and cache) through transformers.js; folders never touch the network.
  transformers.env.allowRemoteModels = location.kind === 'hub';
  return loadTransformersModel({
    transformers,
    modelId: location.id,
    localModelPath: location.kind === 'folder' ? location.parent + path.sep : undefined,
    device,
    // With onnxruntime-web registered in Node, transformers.js lists no devices; "auto" is the one
    // value it accepts, and the session's executionProviders pick WASM.
    runtimeDevice: device === 'wasm' ? 'auto' : undefined,
    dtype: 'fp32',
    sessionOptions: device === 'wasm' ? { executionProviders: ['wasm'] } : undefined,
    onProgress: options.onProgress,
  });
}
