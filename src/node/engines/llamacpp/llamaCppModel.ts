/**
 * CausalLM over llama.cpp (node-llama-cpp's prebuilt CPU binaries): a GGUF file loaded in this
 * process, its full next-token distribution read through `controlledEvaluate` with
 * probabilities, so our own sampler chain, explorer, branching, risk and prompt tests run on it
 * unchanged.
 *
 * - Logits: node-llama-cpp returns softmax(logits) over the whole vocabulary (its sampler is
 *   plain greedy, which drops no candidate). We hand back log(p), which is the logits minus
 *   their log-sum-exp: every sampler stage is invariant to that shift. Tokens whose probability
 *   underflows float32 (below ~1e-38) come back as -Infinity.
 * - KV cache: each row of a cache is a llama.cpp sequence that holds exactly that row's tokens.
 *   forward() moves the sequences into the cache it returns (a cache is used once, as the decode
 *   loop does). node-llama-cpp exposes no KV copy, so selectRows() fills a repeated row's new
 *   sequence by evaluating the row's tokens again (one batched prefill).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ModelLoadError } from '../../../core/model/errors';
import { forwardShape } from '../../../core/model/forwardShape';
import { byteFallbackByte, byteLevelBytes, tokenDisplayText } from '../../../core/model/tokenBytes';
import type { ThreadsChoice } from '../../../core/model/threads';
import type { CausalLM, ForwardResult, KvCache } from '../../../core/model/types';
import { threadsForThisMachine } from '../../threads';

// The parts of node-llama-cpp this adapter uses (it is ESM-only; we import it at run time).
export interface NlcSequence {
  controlledEvaluate(
    input: Array<number | [number, { generateNext?: { probabilities?: boolean } }]>,
  ): Promise<Array<undefined | { next: { probabilities?: Map<number, number> } }>>;
  evaluateWithoutGeneratingNewTokens(tokens: number[]): Promise<void>;
  /** llama.cpp's own generation loop (the bench's native row): yields sampled tokens until the caller stops. */
  evaluate(tokens: number[], options?: { temperature?: number }): AsyncGenerator<number, void, void>;
  clearHistory(): Promise<void>;
  dispose(): Promise<void>;
  readonly disposed: boolean;
}
export interface NlcContext {
  readonly sequencesLeft: number;
  readonly contextSize: number;
  getSequence(): NlcSequence;
  dispose(): Promise<void>;
}
export interface NlcModel {
  readonly tokens: { readonly bos: number | null; readonly eos: number | null; readonly eot: number | null; readonly shouldPrependBosToken: boolean };
  readonly trainContextSize: number;
  readonly fileInfo: { metadata: Record<string, unknown> };
  readonly fileInsights: {
    estimateContextResourceRequirementsV2(options: { contextSize: number; modelGpuLayers: number; sequences: number }): Promise<{ cpuRam: number }>;
  };
  tokenize(text: string, specialTokens?: boolean): number[];
  detokenize(tokens: readonly number[], specialTokens?: boolean): string;
  isEogToken(token: number): boolean;
  createContext(options: { contextSize: number; sequences: number; threads: number; batchSize?: number }): Promise<NlcContext>;
  dispose(): Promise<void>;
}
export interface NlcLlama {
  loadModel(options: { modelPath: string; gpuLayers?: number }): Promise<NlcModel>;
}
interface NlcModule {
  getLlama(options: Record<string, unknown>): Promise<NlcLlama>;
  LlamaLogLevel: Record<string, string>;
}

export interface GgufModelOptions {
  /** The .gguf file. */
  file: string;
  /** CPU threads: auto (default) or N, decided once here. */
  threads?: ThreadsChoice;
  /** Tokens per sequence (default: the model's training context, at most 2,048). */
  contextSize?: number;
  onLog?: (line: string) => void;
  signal?: AbortSignal;
  /** What named the file, for messages: '--model' (the CLI), 'samplingLab.model' (the editor). */
  setting?: string;
}

/**
 * Sequences per llama.cpp context: as many as fit KV_BUDGET_BYTES (the KV cache is allocated
 * whole when a context opens), at most MAX_SEQUENCES; more rows open another context.
 */
const MAX_SEQUENCES = 16;
const KV_BUDGET_BYTES = 1024 ** 3;
/** The pinned node-llama-cpp (package.json), for messages. */
const NODE_LLAMA_CPP_VERSION = '3.21.1';
const DEFAULT_MAX_CONTEXT = 2048;

// A real import() the TypeScript/esbuild CJS output keeps: node-llama-cpp is ESM with top-level await.
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

/**
 * Where node-llama-cpp is imported from: the package, or SAMPLING_LAB_NODE_LLAMA_CPP (a path or
 * package name) to use another build of it, e.g. one compiled for a GPU. Tests point it at a
 * missing path to check what the user sees when the package or its binary is gone.
 */
export const NODE_LLAMA_CPP_ENV = 'SAMPLING_LAB_NODE_LLAMA_CPP';

/** Per module specifier, so pointing the variable elsewhere loads that build. */
const llamaLoading = new Map<string, Promise<NlcLlama>>();
let nlcModule: NlcModule | undefined;
/** llama.cpp's recent error lines: a failed load names its reason here, not in the thrown error. */
const recentErrors: string[] = [];
// llama.cpp's log lines reach JS through a thread-safe callback, so a failed load can reject before
// its reason arrives; loadFailure waits on this for that line (bounded), never on a fixed sleep.
let onLogLine: (() => void) | undefined;

/** node-llama-cpp's CPU backend, loaded once per process; a missing package or prebuilt binary is a ModelLoadError that says so. */
export async function llamaRuntime(): Promise<NlcLlama> {
  const specifier = process.env[NODE_LLAMA_CPP_ENV]?.trim() || 'node-llama-cpp';
  let loading = llamaLoading.get(specifier);
  if (!loading) {
    loading = loadRuntime(specifier);
    llamaLoading.set(specifier, loading);
    loading.catch(() => llamaLoading.delete(specifier));
  }
  return loading;
}

async function loadRuntime(specifier: string): Promise<NlcLlama> {
  try {
    // A path is imported as a file URL (a Windows path is no valid specifier).
    nlcModule = (await importEsm(path.isAbsolute(specifier) ? pathToFileURL(specifier).href : specifier)) as NlcModule;
  } catch (e) {
    throw new ModelLoadError(
      `The llama.cpp engine for .gguf files needs the node-llama-cpp package, which did not load from "${specifier}" (${firstLine(e)}). ` +
        `Install the Sampling Lab build for this platform (its .vsix carries node-llama-cpp), or run npm ci in a source checkout${specifier !== 'node-llama-cpp' ? `, or unset ${NODE_LLAMA_CPP_ENV}` : ''}. ONNX models are not affected.`,
    );
  }
  try {
    // build: 'never' — never compile or download; only the prebuilt binary shipped beside the package.
    return await nlcModule.getLlama({
      gpu: false,
      build: 'never',
      usePrebuiltBinaries: true,
      progressLogs: false,
      logLevel: nlcModule.LlamaLogLevel.error ?? 'error',
      // Kept for the error a failed load throws, instead of printed between our own output.
      logger: (_level: string, message: string) => {
        recentErrors.push(message.trim());
        if (recentErrors.length > 8) recentErrors.shift();
        onLogLine?.();
      },
    });
  } catch (e) {
    throw new ModelLoadError(
      `llama.cpp has no prebuilt binary that loads on ${process.platform}-${process.arch} (${firstLine(e)}). ` +
        'node-llama-cpp ships them as the optional @node-llama-cpp/* packages: install the Sampling Lab build for this platform (or run npm ci on it in a source checkout), or use an ONNX model instead of a .gguf file.',
    );
  }
}

/** An error's first line: a module loader's message can go on with a require stack. */
function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();
}

/**
 * Whether a --model / setting value names a GGUF file: by its .gguf extension, or as an Ollama
 * weights blob (blobs/sha256-<64 hex>, which has none; ggufFiles.ts lists them by that path).
 */
export function isGgufPath(model: string | undefined): model is string {
  if (typeof model !== 'string') return false;
  const value = model.trim();
  return /\.gguf$/i.test(value) || /(^|[\\/])blobs[\\/]sha256-[0-9a-f]{64}$/.test(value);
}

/**
 * Checks a file is a complete-looking GGUF before llama.cpp opens it, so a wrong or cut file is a
 * ModelLoadError naming the file and the fix, never a native abort.
 */
export function checkGgufHeader(file: string, setting = '--model'): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new ModelLoadError(`Cannot open GGUF file "${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}. Check the path given to ${setting}.`, file);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new ModelLoadError(`"${file}" is not a file. Give ${setting} the path of a .gguf file.`, file);
    const head = Buffer.alloc(24);
    const n = fs.readSync(fd, head, 0, 24, 0);
    if (n < 4 || head.toString('latin1', 0, 4) !== 'GGUF') {
      throw new ModelLoadError(`"${file}" is not a GGUF file (it does not start with the GGUF magic). Convert the model (tools/model/gguf.py for our exports, llama.cpp's convert_hf_to_gguf.py otherwise) or give an ONNX model folder.`, file);
    }
    if (n < 24) throw new ModelLoadError(`"${file}" is truncated: ${stat.size} bytes, shorter than a GGUF header. Download or convert it again.`, file);
    const version = head.readUInt32LE(4);
    if (version < 2 || version > 3) throw new ModelLoadError(`"${file}" is GGUF version ${version}; llama.cpp reads versions 2 and 3.`, file);
  } finally {
    fs.closeSync(fd);
  }
}

/** llama.cpp's own reasons among the recent log lines, e.g. "tensor 'blk.1.ffn_up.weight' data is not within the file bounds". */
function loadReasons(): string[] {
  return recentErrors
    .map((l) => /error loading model: (.*)$/.exec(l)?.[1] ?? (/^gguf_init_from_\w+: (.*)$/.exec(l)?.[1]))
    .filter((l): l is string => !!l);
}

/** Resolves when llama.cpp has logged its reason for a failed load, or after `limitMs` if it never does. */
function reasonLogged(limitMs: number): Promise<void> {
  if (loadReasons().length > 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      onLogLine = undefined;
      resolve();
    };
    const timer = setTimeout(done, limitMs);
    onLogLine = () => loadReasons().length > 0 && done();
  });
}

/** Turns llama.cpp's load failure into a message that names the file, llama.cpp's reason and what to do. */
async function loadFailure(file: string, e: unknown): Promise<ModelLoadError> {
  const text = e instanceof Error ? e.message : String(e);
  await reasonLogged(2_000);
  const reason = loadReasons();
  recentErrors.length = 0;
  const why = [...new Set(reason)].join('; ') || text;
  return new ModelLoadError(
    `llama.cpp could not load "${file}": ${why}. The file may be truncated, damaged, or written for a newer llama.cpp than node-llama-cpp ${NODE_LLAMA_CPP_VERSION}'s; download or convert it again.`,
    file,
  );
}

export async function loadGgufModel(options: GgufModelOptions): Promise<CausalLM> {
  const file = path.resolve(options.file);
  checkGgufHeader(file, options.setting);
  const llama = await llamaRuntime();
  if (options.signal?.aborted) throw new ModelLoadError('Loading was cancelled.');
  let model: NlcModel;
  recentErrors.length = 0;
  try {
    model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
  } catch (e) {
    throw await loadFailure(file, e);
  }
  const decision = threadsForThisMachine(options.threads ?? 'auto');
  options.onLog?.(decision.reason);
  const contextSize = Math.max(16, Math.min(options.contextSize ?? DEFAULT_MAX_CONTEXT, model.trainContextSize || DEFAULT_MAX_CONTEXT));
  return new LlamaCppModel(model, path.basename(file), contextSize, decision.threads);
}

/** A cache row: a sequence whose state is exactly `tokens`. */
interface Row {
  seq: NlcSequence;
  tokens: number[];
}

class LlamaCppCache implements KvCache {
  /** Set once forward or selectRows took the rows' sequences. */
  moved = false;
  constructor(readonly rows: Row[]) {}
  get length(): number {
    return this.rows[0]?.tokens.length ?? 0;
  }
  get batchSize(): number {
    return this.rows.length;
  }
}

class LlamaCppModel implements CausalLM {
  readonly device = 'cpu (llama.cpp)';
  readonly vocabSize: number;
  readonly maxContext: number;
  readonly eosTokenIds: readonly number[];
  private readonly contexts: NlcContext[] = [];
  private readonly tokenTexts = new Map<number, string>();
  private opening: Promise<NlcContext> | undefined;
  private perContext: Promise<number> | undefined;

  constructor(
    private readonly model: NlcModel,
    readonly name: string,
    contextSize: number,
    private readonly threads: number,
  ) {
    this.maxContext = contextSize;
    this.vocabSize = vocabularySize(model);
    const eog = new Set<number>();
    for (const t of [model.tokens.eos, model.tokens.eot]) if (t !== null && t !== undefined) eog.add(t);
    this.eosTokenIds = [...eog];
  }

  encode(text: string): number[] {
    return [...this.model.tokenize(text, false)];
  }

  encodePrompt(text: string): number[] {
    const bos = this.model.tokens.bos;
    const ids = this.encode(text);
    return this.model.tokens.shouldPrependBosToken && bos !== null ? [bos, ...ids] : ids;
  }

  renderPrompt(text: string): string {
    const bos = this.model.tokens.bos;
    return this.model.tokens.shouldPrependBosToken && bos !== null ? this.model.detokenize([bos], true) + text : text;
  }

  decode(ids: readonly number[]): string {
    return this.model.detokenize(ids.filter((id) => !this.model.isEogToken(id)), false);
  }

  tokenText(id: number): string {
    let text = this.tokenTexts.get(id);
    if (text === undefined) {
      const decoded = this.eosTokenIds.includes(id) ? '' : this.model.detokenize([id], false);
      // Part of a character decodes alone to "�": its bytes are shown instead, as the ONNX models' are.
      text = decoded.includes('\uFFFD') ? tokenDisplayText(decoded, vocabularyBytes(this.model, id)) : decoded;
      this.tokenTexts.set(id, text);
    }
    return text;
  }

  async forward(ids: number[][], cache: KvCache | null): Promise<ForwardResult> {
    const { batch, newLength } = forwardShape(ids);
    let rows: Row[];
    if (cache === null) rows = await Promise.all(ids.map(async () => ({ seq: await this.sequence(), tokens: [] as number[] })));
    else {
      const c = this.own(cache);
      if (c.rows.length !== batch) throw new Error(`forward got ${batch} rows for a cache of ${c.rows.length}`);
      rows = c.rows;
      c.moved = true;
    }
    if (rows[0]!.tokens.length + newLength > this.maxContext) {
      throw new Error(`The sequence would pass the llama.cpp context of ${this.maxContext} tokens.`);
    }
    const logits = new Float32Array(batch * this.vocabSize);
    // All rows at once: node-llama-cpp batches concurrent sequences into one llama_decode.
    await Promise.all(
      rows.map(async (row, r) => {
        const input = ids[r]!.map((t, i) => (i === newLength - 1 ? ([t, { generateNext: { probabilities: true } }] as [number, { generateNext: { probabilities: boolean } }]) : t));
        const out = await row.seq.controlledEvaluate(input);
        row.tokens.push(...ids[r]!);
        this.fillLogits(out[newLength - 1]?.next.probabilities, logits, r);
      }),
    );
    return { logits, cache: new LlamaCppCache(rows) };
  }

  async selectRows(cache: KvCache, rows: readonly number[]): Promise<KvCache> {
    const c = this.own(cache);
    c.moved = true;
    const taken = new Set<number>();
    const out: Row[] = await Promise.all(
      rows.map(async (r) => {
        const source = c.rows[r];
        if (!source) throw new Error(`selectRows: row ${r} of a cache of ${c.rows.length}`);
        if (!taken.has(r)) {
          taken.add(r);
          return source;
        }
        // A repeated row: a fresh sequence evaluates the same tokens (no KV copy in node-llama-cpp).
        const seq = await this.sequence();
        await seq.evaluateWithoutGeneratingNewTokens(source.tokens);
        return { seq, tokens: [...source.tokens] };
      }),
    );
    for (let r = 0; r < c.rows.length; r++) if (!taken.has(r)) void this.release(c.rows[r]!.seq);
    return new LlamaCppCache(out);
  }

  async forwardFull(ids: readonly number[]): Promise<Float32Array> {
    if (ids.length === 0) throw new Error('forwardFull needs at least one token');
    if (ids.length > this.maxContext) throw new Error(`The sequence would pass the llama.cpp context of ${this.maxContext} tokens.`);
    const seq = await this.sequence();
    try {
      const out = await seq.controlledEvaluate(ids.map((t) => [t, { generateNext: { probabilities: true } }]));
      const logits = new Float32Array(ids.length * this.vocabSize);
      for (let i = 0; i < ids.length; i++) this.fillLogits(out[i]?.next.probabilities, logits, i);
      return logits;
    } finally {
      await this.release(seq);
    }
  }

  disposeCache(cache: KvCache): void {
    const c = this.own(cache);
    if (c.moved) return;
    c.moved = true;
    for (const row of c.rows) void this.release(row.seq);
  }

  async dispose(): Promise<void> {
    for (const ctx of this.contexts.splice(0)) await ctx.dispose();
    await this.model.dispose();
  }

  private own(cache: KvCache): LlamaCppCache {
    if (!(cache instanceof LlamaCppCache)) throw new Error('This cache was not made by the llama.cpp engine.');
    return cache;
  }

  /** Row `r` of `logits` from node-llama-cpp's probabilities: log p (the logits up to a shift). */
  private fillLogits(probabilities: Map<number, number> | undefined, logits: Float32Array, r: number): void {
    if (!probabilities) throw new Error('llama.cpp returned no next-token probabilities');
    const row = logits.subarray(r * this.vocabSize, (r + 1) * this.vocabSize);
    row.fill(Number.NEGATIVE_INFINITY);
    for (const [token, p] of probabilities) if (token < this.vocabSize) row[token] = Math.log(p);
  }

  /** A free sequence, opening another context when every one is taken. */
  private async sequence(): Promise<NlcSequence> {
    for (;;) {
      const free = this.contexts.find((c) => c.sequencesLeft > 0);
      if (free) return free.getSequence();
      // One context opens at a time; concurrent callers wait for it and look again.
      if (!this.opening) {
        this.opening = this.sequencesPerContext().then((sequences) => this.model.createContext({ contextSize: this.maxContext, sequences, threads: this.threads }));
        try {
          this.contexts.push(await this.opening);
        } finally {
          this.opening = undefined;
        }
      } else await this.opening.catch(() => undefined);
    }
  }

  private async sequencesPerContext(): Promise<number> {
    this.perContext ??= (async () => {
      for (let n = MAX_SEQUENCES; n > 1; n /= 2) {
        try {
          const { cpuRam } = await this.model.fileInsights.estimateContextResourceRequirementsV2({ contextSize: this.maxContext, modelGpuLayers: 0, sequences: n });
          if (cpuRam <= KV_BUDGET_BYTES) return n;
        } catch {
          return 4; // no estimate for this architecture: a middle guess
        }
      }
      return 1;
    })();
    return this.perContext;
  }

  private async release(seq: NlcSequence): Promise<void> {
    if (!seq.disposed) await seq.dispose();
  }
}

/**
 * A token's bytes from the GGUF vocabulary (tokenizer.ggml.tokens): a SentencePiece byte-fallback
 * piece (`<0xE4>`), or a byte-level BPE piece when tokenizer.ggml.model is gpt2; undefined otherwise.
 */
function vocabularyBytes(model: NlcModel, id: number): number[] | undefined {
  const ggml = (model.fileInfo.metadata as { tokenizer?: { ggml?: { model?: unknown; tokens?: unknown[] } } }).tokenizer?.ggml;
  const piece = ggml?.tokens?.[id];
  if (typeof piece !== 'string') return undefined;
  const byte = byteFallbackByte(piece);
  if (byte !== undefined) return [byte];
  return ggml?.model === 'gpt2' ? byteLevelBytes(piece) : undefined;
}

/** The vocabulary size: the tokenizer's token list in the GGUF metadata (always present for a text model). */
function vocabularySize(model: NlcModel): number {
  const tokenizer = (model.fileInfo.metadata as { tokenizer?: { ggml?: { tokens?: unknown[] } } }).tokenizer;
  const n = tokenizer?.ggml?.tokens?.length;
  if (!n) throw new ModelLoadError('This GGUF file has no tokenizer (tokenizer.ggml.tokens): it is not a text generation model.');
  return n;
}
