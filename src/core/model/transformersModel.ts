/**
 * CausalLM over transformers.js. We call the model's forward ourselves with `past_key_values`
 * because `generate()` ignores top_p, has no min_p and returns no scores (DEVELOPERS.md).
 *
 * The transformers.js module is passed in rather than imported: Node gives its onnxruntime-node
 * build, the webview worker gives the browser build. The core stays free of Node-only imports.
 */
import type { Backend } from './backends';
import type { CausalLM, ChatMessage, ForwardResult, KvCache } from './types';
import { ModelLoadError } from './errors';
import { forwardShape } from './forwardShape';
import { isDtype, onnxFileFor } from './hubModel';
import { byteFallbackByte, byteLevelBytes, tokenDisplayText } from './tokenBytes';

/** The few parts of a transformers.js Tensor we use. */
interface TjsTensor {
  readonly dims: number[];
  readonly type: string;
  readonly data: Float32Array | BigInt64Array | Uint16Array;
  readonly location?: string;
  readonly ort_tensor?: { getData?: () => Promise<ArrayLike<number>> };
  dispose(): void;
}
type TensorCtor = new (type: string, data: ArrayLike<number> | BigInt64Array, dims: number[]) => TjsTensor;

export interface TjsTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
  decode(ids: readonly number[], options?: { skip_special_tokens?: boolean }): string;
  chat_template?: unknown;
  /** tokenizer_config.json as loaded. */
  config?: Record<string, unknown>;
  /** transformers.js internals, read only to find a token's bytes (tokenBytes); absent in another version, the "�" stays. */
  _tokenizer?: { id_to_token?(id: number): string | undefined };
  _tokenizerJSON?: { decoder?: unknown };
  apply_chat_template(messages: readonly ChatMessage[], options: { tokenize: false; add_generation_prompt: boolean; chat_template?: string }): string;
}
interface TjsModel {
  config: Record<string, unknown>;
  generation_config?: Record<string, unknown>;
  forward(inputs: Record<string, unknown>): Promise<Record<string, TjsTensor>>;
  dispose(): Promise<unknown>;
}

/** The parts of the `@huggingface/transformers` module this adapter needs. */
export interface TransformersModule {
  env: { allowRemoteModels: boolean; allowLocalModels: boolean; localModelPath: string };
  Tensor: unknown;
  AutoTokenizer: { from_pretrained(id: string, options?: Record<string, unknown>): Promise<unknown> };
  AutoModelForCausalLM: { from_pretrained(id: string, options?: Record<string, unknown>): Promise<unknown> };
}

export interface LoadProgress {
  status: string;
  file?: string;
  loaded?: number;
  total?: number;
}

export interface LoadOptions {
  transformers: TransformersModule;
  /** A folder name under `localModelPath`, or a hub id when remote models are allowed. */
  modelId: string;
  /** The model's name in output when it differs from `modelId` (a hub id whose snapshot folder is a commit). */
  name?: string;
  /**
   * The external data files the graph names, relative to its folder (models over 2 GB, and many
   * exports), passed to onnxruntime as session externalData that transformers.js fetches beside
   * the graph: any names the graph gives, not only transformers.js's model.onnx_data, _1, ….
   * onnxruntime-web needs them listed; onnxruntime-node reads them from beside the graph itself
   * and is given none (its binding takes no externalData).
   */
  externalData?: readonly string[];
  /** chat_template.jinja's text, when the model keeps its template there (transformers.js's AutoTokenizer does not read it). */
  chatTemplate?: string;
  /** Folder (or URL, in the browser) holding model folders. Unset: leave `env` as the caller set it. */
  localModelPath?: string;
  device: Backend;
  /**
   * What to pass to transformers.js as `device` when it differs from `device`: in Node, WASM runs
   * through onnxruntime-web registered by the caller, and transformers.js must be given no device.
   */
  runtimeDevice?: string | null;
  dtype?: string;
  sessionOptions?: Record<string, unknown>;
  onProgress?: (progress: LoadProgress) => void;
}

class TjsCache implements KvCache {
  constructor(
    readonly tensors: Record<string, TjsTensor>,
    readonly length: number,
    readonly batchSize: number,
  ) {}
}

export async function loadTransformersModel(options: LoadOptions): Promise<CausalLM> {
  const tjs = options.transformers;
  if (options.localModelPath !== undefined) {
    tjs.env.localModelPath = options.localModelPath;
    tjs.env.allowLocalModels = true;
  }
  const common = { progress_callback: options.onProgress };
  let tokenizer: TjsTokenizer;
  let model: TjsModel;
  try {
    tokenizer = (await tjs.AutoTokenizer.from_pretrained(options.modelId, common)) as TjsTokenizer;
    model = (await tjs.AutoModelForCausalLM.from_pretrained(options.modelId, {
      ...common,
      dtype: options.dtype ?? 'fp32',
      device: options.runtimeDevice === undefined ? options.device : (options.runtimeDevice ?? undefined),
      session_options: options.sessionOptions,
      ...externalDataOptions(options),
    })) as TjsModel;
  } catch (e) {
    throw ModelLoadError.from(options.modelId, e);
  }
  return new TransformersCausalLM(options.name ?? options.modelId, options.device, tokenizer, model, tjs.Tensor as TensorCtor, options.chatTemplate);
}

/** from_pretrained's options for the graph's external data files (see LoadOptions.externalData). */
function externalDataOptions(options: LoadOptions): Record<string, unknown> {
  if (!options.externalData?.length) return {};
  const graph = onnxFileFor(isDtype(options.dtype) ? options.dtype : 'fp32');
  const folder = graph.slice(0, graph.lastIndexOf('/') + 1);
  // transformers.js fetches a string `data` relative to the model (getModelDataFiles), as it does
  // the graph; its own chunk list (use_external_data_format, maybe from config.json) is turned off
  // so the files are the graph's and are fetched once.
  const externalData = options.externalData.map((file) => ({ path: file, data: `${folder}${file}` }));
  return { use_external_data_format: false, session_options: { ...options.sessionOptions, externalData } };
}

/**
 * One token's text from a transformers.js tokenizer: decoded alone, or, for a token holding part of
 * a character (decoded "�"), its bytes from its vocabulary entry written as `<0xNN>` (tokenBytes.ts).
 */
export function tokenizerTokenText(tokenizer: TjsTokenizer, id: number): string {
  const text = tokenizer.decode([id], { skip_special_tokens: true });
  return text.includes('\uFFFD') ? tokenDisplayText(text, vocabularyBytes(tokenizer, id)) : text;
}

/** A token's bytes from its vocabulary entry: a byte-fallback `<0xNN>`, or a byte-level BPE piece; undefined otherwise. */
function vocabularyBytes(tokenizer: TjsTokenizer, id: number): number[] | undefined {
  const piece = tokenizer._tokenizer?.id_to_token?.(id);
  if (piece === undefined) return undefined;
  const byte = byteFallbackByte(piece);
  if (byte !== undefined) return [byte];
  return usesByteLevel(tokenizer._tokenizerJSON?.decoder) ? byteLevelBytes(piece) : undefined;
}

/** Whether tokenizer.json's decoder is ByteLevel, alone or in a Sequence: its vocabulary writes bytes as GPT-2's characters. */
function usesByteLevel(decoder: unknown): boolean {
  if (typeof decoder !== 'object' || decoder === null) return false;
  const d = decoder as { type?: unknown; decoders?: unknown };
  return d.type === 'ByteLevel' || (Array.isArray(d.decoders) && d.decoders.some(usesByteLevel));
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function idList(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (Array.isArray(value)) return value.filter((v): v is number => typeof v === 'number');
  return [];
}

class TransformersCausalLM implements CausalLM {
  readonly vocabSize: number;
  readonly maxContext: number;
  readonly eosTokenIds: readonly number[];
  readonly hasChatTemplate: boolean;
  readonly promptFormat = 'raw' as const;
  private readonly bosTokenId: number | undefined;
  private readonly tokenTexts = new Map<number, string>();

  constructor(
    readonly name: string,
    readonly device: string,
    private readonly tokenizer: TjsTokenizer,
    private readonly model: TjsModel,
    private readonly Tensor: TensorCtor,
    private readonly chatTemplateFile?: string,
  ) {
    const config = model.config;
    this.vocabSize = numberOr(config.vocab_size, 0);
    this.maxContext = numberOr(config.max_position_embeddings, 2048);
    // generation_config.json's eos_token_id list holds the chat end-of-turn ids (Qwen3: <|im_end|>, <|endoftext|>).
    const eos = new Set([...idList(config.eos_token_id), ...idList(model.generation_config?.eos_token_id)]);
    this.eosTokenIds = [...eos];
    // A tokenizer that says add_bos_token: false (Qwen's) gets no BOS even when config.json names one.
    this.bosTokenId = tokenizer.config?.add_bos_token === false ? undefined : idList(config.bos_token_id)[0];
    this.hasChatTemplate = Boolean(chatTemplateFile ?? tokenizer.chat_template);
  }

  renderPrompt(text: string): string {
    return this.bosTokenId === undefined ? text : this.tokenizer.decode([this.bosTokenId], { skip_special_tokens: false }) + text;
  }

  renderChat(messages: readonly ChatMessage[]): string {
    return this.tokenizer.apply_chat_template(messages, { tokenize: false, add_generation_prompt: true, ...(this.chatTemplateFile ? { chat_template: this.chatTemplateFile } : {}) });
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false });
  }

  encodePrompt(text: string): number[] {
    // Training documents start right after a BOS/EOS separator, so prompts do too.
    const ids = this.encode(text);
    return this.bosTokenId === undefined ? ids : [this.bosTokenId, ...ids];
  }

  decode(ids: readonly number[]): string {
    // A sequence stopped before its first token has no text; transformers.js throws on [].
    if (ids.length === 0) return '';
    return this.tokenizer.decode(ids, { skip_special_tokens: true });
  }

  tokenText(id: number): string {
    let text = this.tokenTexts.get(id);
    if (text === undefined) {
      text = this.eosTokenIds.includes(id) ? '' : tokenizerTokenText(this.tokenizer, id);
      this.tokenTexts.set(id, text);
    }
    return text;
  }

  async forward(ids: number[][], cache: KvCache | null): Promise<ForwardResult> {
    const { batch, newLength } = forwardShape(ids);
    const past = cache as TjsCache | null;
    if (past && past.batchSize !== batch) {
      throw new Error(`cache holds ${past.batchSize} rows but ${batch} were given`);
    }
    const pastLength = past?.length ?? 0;
    const total = pastLength + newLength;

    const inputIds = new BigInt64Array(batch * newLength);
    const positions = new BigInt64Array(batch * newLength);
    for (let r = 0; r < batch; r++) {
      const row = ids[r]!;
      for (let i = 0; i < newLength; i++) {
        inputIds[r * newLength + i] = BigInt(row[i]!);
        positions[r * newLength + i] = BigInt(pastLength + i);
      }
    }
    const inputs: Record<string, unknown> = {
      input_ids: new this.Tensor('int64', inputIds, [batch, newLength]),
      // Rows share one length (one prompt, fanned out), so nothing is padded.
      attention_mask: new this.Tensor('int64', new BigInt64Array(batch * total).fill(1n), [batch, total]),
      position_ids: new this.Tensor('int64', positions, [batch, newLength]),
    };
    // transformers.js takes the cache as one `past_key_values` map; without it, it feeds an empty cache.
    if (past) inputs.past_key_values = { ...past.tensors };

    const outputs = await this.model.forward(inputs);
    const logitsTensor = outputs.logits;
    if (!logitsTensor) throw new Error('the model returned no logits');
    const all = await tensorFloats(logitsTensor);
    const vocab = this.vocabSize;
    const seq = logitsTensor.dims[1]!;
    const logits = new Float32Array(batch * vocab);
    for (let r = 0; r < batch; r++) {
      const start = (r * seq + seq - 1) * vocab;
      logits.set(all.subarray(start, start + vocab), r * vocab);
    }
    logitsTensor.dispose();

    const next: Record<string, TjsTensor> = {};
    for (const [name, tensor] of Object.entries(outputs)) {
      if (name.startsWith('present')) next[name.replace('present', 'past_key_values')] = tensor;
    }
    return { logits, cache: new TjsCache(next, total, batch) };
  }

  async selectRows(cache: KvCache, rows: readonly number[]): Promise<KvCache> {
    const source = cache as TjsCache;
    const tensors: Record<string, TjsTensor> = {};
    for (const [name, tensor] of Object.entries(source.tensors)) {
      const data = await tensorFloats(tensor);
      const [, ...rest] = tensor.dims;
      const rowSize = rest.reduce((a, b) => a * b, 1);
      const out = new Float32Array(rows.length * rowSize);
      rows.forEach((row, i) => out.set(data.subarray(row * rowSize, (row + 1) * rowSize), i * rowSize));
      tensors[name] = new this.Tensor('float32', out, [rows.length, ...rest]);
    }
    return new TjsCache(tensors, source.length, rows.length);
  }

  async forwardFull(ids: readonly number[]): Promise<Float32Array> {
    const n = ids.length;
    const outputs = await this.model.forward({
      input_ids: new this.Tensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), [1, n]),
      attention_mask: new this.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
      position_ids: new this.Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(i)), [1, n]),
    });
    const logits = Float32Array.from(await tensorFloats(outputs.logits!));
    for (const tensor of Object.values(outputs)) tensor.dispose();
    return logits;
  }

  disposeCache(cache: KvCache): void {
    for (const tensor of Object.values((cache as TjsCache).tensors)) tensor.dispose();
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}

/** Float data of a tensor, downloading it first when it lives on the GPU (WebGPU KV cache). */
async function tensorFloats(tensor: TjsTensor): Promise<Float32Array> {
  if (tensor.location === 'gpu-buffer' && tensor.ort_tensor?.getData) {
    return Float32Array.from(await tensor.ort_tensor.getData());
  }
  if (!(tensor.data instanceof Float32Array)) throw new Error(`expected float32 data, got ${tensor.type}`);
  return tensor.data;
}
