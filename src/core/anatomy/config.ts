/**
 * What a Hugging Face config.json says about a model's shape, and the parameter counts that
 * shape implies for the Llama family (llama, mistral, qwen2, qwen3). The anatomy view sets these
 * beside the counts read from the ONNX weights, so an export that lost or duplicated a tensor shows.
 */
import type { ComponentId } from './components';

export interface Architecture {
  modelType?: string;
  layers?: number;
  heads?: number;
  kvHeads?: number;
  headDim?: number;
  hiddenSize?: number;
  intermediateSize?: number;
  vocabulary?: number;
  contextLength?: number;
  /** Whether the output head reuses the embedding matrix; undefined when config.json does not say. */
  tiedEmbeddings?: boolean;
  /** config.json's torch_dtype, e.g. "float32". */
  configDtype?: string;
}

function numberField(config: Record<string, unknown>, ...keys: string[]): number | undefined {
  for (const key of keys) {
    const v = config[key];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

/** Reads the shape fields, under their Llama names first and GPT-2-style aliases after. */
export function architectureFromConfig(input: object): Architecture {
  const config = input as Record<string, unknown>;
  const heads = numberField(config, 'num_attention_heads', 'n_head', 'num_heads');
  const hiddenSize = numberField(config, 'hidden_size', 'n_embd', 'd_model');
  return {
    modelType: typeof config.model_type === 'string' ? config.model_type : undefined,
    layers: numberField(config, 'num_hidden_layers', 'n_layer', 'num_layers'),
    heads,
    kvHeads: numberField(config, 'num_key_value_heads', 'n_head_kv') ?? heads,
    headDim: numberField(config, 'head_dim') ?? (heads && hiddenSize ? hiddenSize / heads : undefined),
    hiddenSize,
    intermediateSize: numberField(config, 'intermediate_size', 'n_inner', 'ffn_dim'),
    vocabulary: numberField(config, 'vocab_size'),
    contextLength: numberField(config, 'max_position_embeddings', 'n_positions', 'n_ctx', 'max_seq_len'),
    tiedEmbeddings: typeof config.tie_word_embeddings === 'boolean' ? config.tie_word_embeddings : undefined,
    configDtype: typeof config.torch_dtype === 'string' ? config.torch_dtype : undefined,
  };
}

export type ComponentCounts = Record<ComponentId, number>;

export interface ConfigCounts {
  components: ComponentCounts;
  /** Parameters in one decoder layer. */
  perLayer: number;
  total: number;
  /** How the figures were derived, e.g. "llama: q, k, v, o + SwiGLU MLP + 2 RMSNorms per layer". */
  formula: string;
}

const LLAMA_FAMILY = new Set(['llama', 'mistral', 'qwen2', 'qwen3']);

/**
 * Llama-type counts from config alone (no biases unless the config asks for them):
 * - embedding: V × h; head: 0 when tied, else V × h;
 * - attention per layer: h × H·d (q) + 2 × h × KV·d (k, v) + H·d × h (o);
 * - MLP per layer: 3 × h × I (gate, up, down: SwiGLU);
 * - norms: 2 × h per layer (RMSNorm has no bias) + h final; qwen3 adds q_norm and k_norm (d each).
 * Returns undefined for other model types, or when a shape field is missing.
 */
export function parametersFromConfig(input: object): ConfigCounts | undefined {
  const config = input as Record<string, unknown>;
  const a = architectureFromConfig(config);
  if (!a.modelType || !LLAMA_FAMILY.has(a.modelType)) return undefined;
  const { layers, heads, kvHeads, headDim, hiddenSize: h, intermediateSize: I, vocabulary: V } = a;
  if (!layers || !heads || !kvHeads || !headDim || !h || !I || !V) return undefined;
  const qkvBias = config.attention_bias === true || a.modelType === 'qwen2';
  const oBias = config.attention_bias === true;
  const mlpBias = config.mlp_bias === true;
  const q = h * heads * headDim + (qkvBias ? heads * headDim : 0);
  const kv = 2 * (h * kvHeads * headDim + (qkvBias ? kvHeads * headDim : 0));
  const o = heads * headDim * h + (oBias ? h : 0);
  const attention = q + kv + o;
  const mlp = 3 * h * I + (mlpBias ? 2 * I + h : 0);
  const layerNorms = 2 * h + (a.modelType === 'qwen3' ? 2 * headDim : 0);
  const perLayer = attention + mlp + layerNorms;
  // Hugging Face's default for tie_word_embeddings is true.
  const tied = a.tiedEmbeddings ?? true;
  const components: ComponentCounts = {
    embedding: V * h,
    attention: layers * attention,
    mlp: layers * mlp,
    norms: layers * layerNorms + h,
    outputHead: tied ? 0 : V * h,
    other: 0,
  };
  const total = Object.values(components).reduce((s, n) => s + n, 0);
  const biases = [qkvBias && 'q/k/v biases', oBias && 'o bias', mlpBias && 'MLP biases'].filter(Boolean).join(', ');
  const formula =
    `${a.modelType}: V·h embedding${tied ? ' (tied head)' : ' + V·h head'}; per layer q, k, v, o (GQA ${heads}/${kvHeads}), ` +
    `SwiGLU MLP (3·h·I), ${a.modelType === 'qwen3' ? '2 RMSNorms + q/k norms' : '2 RMSNorms'}${biases ? `, ${biases}` : ''}; final RMSNorm`;
  return { components, perLayer, total, formula };
}
