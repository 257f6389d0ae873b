/**
 * The model worker. It runs inside the panel's webview (created from a blob: URL, see
 * workerClient.ts) and owns the one loaded model: loading it on WebGPU or WASM, running
 * comparisons with streaming, cancelling them, and releasing the model's memory.
 */
import * as transformers from '@huggingface/transformers';
import { compareStrategies } from '../../src/core/decode/compare';
import type { CausalLM } from '../../src/core/model/types';
import { loadTransformersModel, type TransformersModule } from '../../src/core/model/transformersModel';
import { LoadProgressFilter } from '../../src/core/model/loadProgress';
import type { Backend as WebviewBackend, CompareRequest, LoadModelRequest, RunOptions, WorkerEvent, WorkerRequest } from '../../src/protocol/messages';
import { withPromptFormat } from '../../src/core/model/promptFormat';
import { validateWorkerRequest } from '../../src/protocol/validate';
import { isExplorerMessage, validateExplorerRequest } from '../../src/protocol/explorer';
import { handleExplorer, type LoadedModelName } from '../../src/core/explorer/answer';
import { chooseBackend } from './chooseBackend';
import { ModelFiles, MODEL_PREFIX } from './modelFiles';
import { PanelFetch } from './panelFetch';
import { PendingReplies } from './pendingReplies';
import { isResourceReply } from '../../src/protocol/resources';
import { StructuredEngines } from './structuredEngines';
import { runStructuredRequest } from './structuredRun';
import { TokenBatcher } from '../../src/core/decode/tokenBatcher';
import { yieldingModel } from './yieldingModel';

declare const self: DedicatedWorkerGlobalScope;

function post(event: WorkerEvent): void {
  self.postMessage(event);
}

function log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
  post({ type: 'log', level, message });
}

function errorText(e: unknown): { error: string; errorName: string } {
  return e instanceof Error ? { error: e.message, errorName: e.name } : { error: String(e), errorName: 'Error' };
}

/** Resource URLs are fetched by the panel's document: code-server routes this worker's own fetches to whichever webview registered last. */
/** The model files asked of the panel and of the host, not yet received: a cancelled load rejects them all. */
const fileReplies = new PendingReplies();
const panelFetch = new PanelFetch((request) => self.postMessage(request), fileReplies);
const modelFiles = new ModelFiles(fileReplies, post, (path, status) => log('debug', `model file ${path}: HTTP ${status}`), panelFetch.fetch);
/** ONNX Runtime's .wasm, fetched once through the panel and handed to ORT as bytes (it would fetch the URL from this worker). */
let wasmBinary: Promise<Uint8Array> | undefined;
/** The model this worker holds, and its name and weights as the host asked for them (the explorer checks a card's against them). */
let loaded: { model: CausalLM; name: LoadedModelName } | undefined;
/** Constrained decoding's engines for the loaded model (Generate JSON for Selection). */
const structuredEngines = new StructuredEngines(() => modelFiles.fetch(`${MODEL_PREFIX}model/tokenizer.json`));
/** Requests run one after another: a comparison waits for the load before it. */
let queue: Promise<void> = Promise.resolve();
const aborts = new Map<string, AbortController>();
let loadingRequestId: string | undefined;

async function configureRuntime(request: LoadModelRequest): Promise<void> {
  const env = transformers.env;
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  // Files come from the extension (or the host); caching them again would only cost memory.
  env.useBrowserCache = false;
  env.useWasmCache = false;
  const onnx = env.backends.onnx as { wasm?: Record<string, unknown> };
  if (onnx.wasm) {
    // Only the .wasm URL: onnxruntime-web's bundle then uses its inlined JS glue instead of
    // importing a .mjs from another origin, which a blob: worker may not do.
    onnx.wasm.wasmPaths = { wasm: request.runtime.wasmUrl };
    // ORT would fetch that URL from this worker: the bytes come through the panel instead.
    wasmBinary ??= fetchWasm(request.runtime.wasmUrl);
    onnx.wasm.wasmBinary = await wasmBinary.catch((e: unknown) => {
      wasmBinary = undefined;
      throw e;
    });
    // The webview is not cross-origin isolated: no SharedArrayBuffer, so no threads.
    onnx.wasm.numThreads = 1;
    onnx.wasm.proxy = false;
  }
  modelFiles.use(request.model);
  env.localModelPath = MODEL_PREFIX;
  env.fetch = modelFiles.fetch;
}

async function fetchWasm(url: string): Promise<Uint8Array> {
  const response = await panelFetch.fetch(url);
  if (!response.ok) throw new Error(`The ONNX Runtime file ${url.split('/').pop()} could not be read (HTTP ${response.status}). Reinstall Sampling Lab.`);
  return new Uint8Array(await response.arrayBuffer());
}

async function unload(): Promise<void> {
  const current = loaded;
  loaded = undefined;
  structuredEngines.release();
  if (current) {
    await current.model.dispose();
    log('info', `released ${current.model.name}`);
  }
}

async function load(request: LoadModelRequest, signal: AbortSignal): Promise<void> {
  const started = performance.now();
  await unload();
  await configureRuntime(request);
  const choice = await chooseBackend(request.device, (self.navigator as Navigator & { gpu?: GPU }).gpu);
  const progress = throttledProgress(request.requestId);
  const chatTemplate = await readChatTemplate(request.model.id);
  modelFiles.takeFailure();
  // Loading includes the warm-up pass: a backend that loads but cannot run must fall back too.
  const attempt = async (device: WebviewBackend) => {
    const model = await loadTransformersModel({
      transformers: transformers as unknown as TransformersModule,
      modelId: request.model.id,
      name: request.model.name,
      device,
      dtype: request.model.dtype ?? 'fp32',
      externalData: request.model.externalData,
      chatTemplate,
      onProgress: progress,
    }).catch((e: unknown) => {
      // A file the panel could not read says why, not transformers.js's "not found locally".
      throw modelFiles.takeFailure() ?? e;
    });
    try {
      await warmUp(model, request.requestId);
    } catch (e) {
      await model.dispose();
      throw e;
    }
    return model;
  };
  let backend = choice.backend;
  let fallbackReason = choice.reason;
  let model: CausalLM;
  try {
    model = await attempt(backend);
  } catch (e) {
    if (backend !== 'webgpu' || signal.aborted) throw e;
    fallbackReason = `WebGPU could not load the model (${errorText(e).error}); using WASM`;
    log('warn', fallbackReason);
    backend = 'wasm';
    model = await attempt(backend);
  }
  if (signal.aborted) {
    // A load cannot be interrupted half-way; drop what it produced.
    await model.dispose();
    throw new DOMException('model load cancelled', 'AbortError');
  }
  loaded = { model, name: { name: request.model.name, ...(request.model.dtype ? { dtype: request.model.dtype } : {}) } };
  post({
    type: 'modelLoaded',
    requestId: request.requestId,
    model: request.model.name,
    backend,
    fallbackReason,
    loadMs: performance.now() - started,
  });
}

/**
 * The first forward pass compiles the backend's kernels (WebGPU shaders take seconds on
 * SwiftShader). Doing it while the panel still shows "loading" keeps that cost out of the
 * first run's tokens/s.
 */
async function warmUp(model: CausalLM, requestId: string): Promise<void> {
  const ids = model.encodePrompt('Q:');
  if (ids.length === 0) return;
  post({ type: 'loadProgress', requestId, status: 'warmup', file: '', loaded: 0, total: 0 });
  const { cache } = await model.forward([ids], null);
  model.disposeCache(cache);
}

/** transformers.js reports every chunk of every file: LoadProgressFilter keeps each file's steps, first and last chunk, and a chunk per 50 ms. */
function throttledProgress(requestId: string) {
  const filter = new LoadProgressFilter(50);
  return (p: { status: string; file?: string; loaded?: number; total?: number }) => {
    const step = { status: p.status, file: p.file ?? '', loaded: p.loaded ?? 0, total: p.total ?? 0 };
    if (filter.accept(step, performance.now())) post({ type: 'loadProgress', requestId, ...step });
  };
}

/** chat_template.jinja beside the model (newer exports keep the template there; AutoTokenizer does not read it). */
async function readChatTemplate(id: string): Promise<string | undefined> {
  const response = await modelFiles.fetch(`${MODEL_PREFIX}${id}/chat_template.jinja`);
  return response.ok ? response.text() : undefined;
}

/** The loaded model with the run's prompt format (chat template or raw, system message). */
function formatted(model: CausalLM, options: RunOptions): CausalLM {
  return withPromptFormat(model, { chat: options.chat, system: options.system });
}

async function compare(request: CompareRequest, signal: AbortSignal): Promise<void> {
  if (!loaded) throw new Error('No model is loaded. Run "Sampling Lab: Select Model…" or compare again to load one.');
  const batcher = new TokenBatcher((events) => post({ type: 'tokens', requestId: request.requestId, events }), { set: (run, ms) => setTimeout(run, ms), clear: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>) });
  try {
    const result = await compareStrategies(
      yieldingModel(formatted(loaded.model, request.options)),
      request.prompt,
      request.strategies.map((s) => s.strategy),
      { ...request.options, firstSample: request.firstSample, topAlternatives: request.topAlternatives, signal, onToken: (event) => batcher.push(event) },
    );
    batcher.flush();
    post({ type: 'compareDone', requestId: request.requestId, result });
  } finally {
    batcher.flush();
  }
}

function enqueue(requestId: string, work: (signal: AbortSignal) => Promise<void>): void {
  const abort = new AbortController();
  aborts.set(requestId, abort);
  queue = queue
    .then(async () => {
      if (abort.signal.aborted) throw new DOMException('cancelled before it started', 'AbortError');
      await work(abort.signal);
    })
    .catch((e) => post({ type: 'requestFailed', requestId, ...errorText(e) }))
    .finally(() => aborts.delete(requestId));
}

function handle(request: WorkerRequest): void {
  switch (request.type) {
    case 'loadModel':
      enqueue(request.requestId, async (signal) => {
        loadingRequestId = request.requestId;
        try {
          await load(request, signal);
        } finally {
          loadingRequestId = undefined;
        }
      });
      break;
    case 'unloadModel':
      enqueue(request.requestId, async () => {
        await unload();
        post({ type: 'modelUnloaded', requestId: request.requestId });
      });
      break;
    case 'compare':
      enqueue(request.requestId, (signal) => compare(request, signal));
      break;
    case 'structured':
      enqueue(request.requestId, async (signal) => {
        if (!loaded) throw new Error('No model is loaded. Run "Sampling Lab: Select Model…" or run the command again to load one.');
        await runStructuredRequest(formatted(loaded.model, request.options), structuredEngines, request, signal, post);
      });
      break;
    case 'cancel':
      aborts.get(request.requestId)?.abort();
      if (request.requestId === loadingRequestId) {
        fileReplies.cancelAll();
      }
      break;
    case 'fileData':
    case 'fileError':
      modelFiles.reply(request);
      break;
  }
}

self.onmessage = (e: MessageEvent) => {
  if (isResourceReply(e.data)) return panelFetch.reply(e.data);
  if (isExplorerMessage(e.data)) {
    const request = validateExplorerRequest(e.data);
    if (typeof request === 'string') return log('error', `model worker rejected an explorer message: ${request}`);
    // After whatever the model is busy with: one forward pass at a time.
    queue = queue.then(() => handleExplorer(request, loaded, (reply) => self.postMessage(reply)));
    return;
  }
  const checked = validateWorkerRequest(e.data);
  if (!checked.ok) {
    log('error', `model worker rejected a message: ${checked.error}`);
    return;
  }
  handle(checked.message);
};

log('debug', 'model worker started');
