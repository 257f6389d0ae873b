/**
 * Which part of a transformer each initializer belongs to. Exporters often rename weights
 * (torch.onnx folds a Linear's transposed weight into "onnx::MatMul_751"), so an initializer is
 * known by its own name and by the names of the nodes that read it ("/model/layers.0/self_attn/
 * q_proj/MatMul"), following pass-through nodes (Transpose, Cast, DequantizeLinear…).
 */
import type { OnnxModelInfo, OnnxTensorInfo } from './onnx';

export type ComponentId = 'embedding' | 'attention' | 'mlp' | 'norms' | 'outputHead' | 'other';

export const COMPONENT_ORDER: readonly ComponentId[] = ['embedding', 'attention', 'mlp', 'norms', 'outputHead', 'other'];

export const COMPONENT_LABELS: Record<ComponentId, string> = {
  embedding: 'Embedding',
  attention: 'Attention',
  mlp: 'MLP',
  norms: 'Norms',
  outputHead: 'Output head',
  other: 'Other',
};

export interface TensorPlace {
  component: ComponentId;
  /** Finer part: q, k, v, o, qkv for attention; gate, up, down for the MLP; input, post_attention, final… for norms. */
  part: string;
  /** The decoder layer, when the tensor is inside one. */
  layer?: number;
}

/** Nodes that only reshape, cast or dequantize a weight on its way to the op that uses it. */
const PASS_THROUGH = new Set(['Transpose', 'Cast', 'DequantizeLinear', 'Reshape', 'Identity', 'Squeeze', 'Unsqueeze']);

/** Lower-case names that identify `tensor`: its own, then those of the nodes reading it (two hops). */
export function namesOf(tensor: string, consumers: Map<string, OnnxModelInfo['nodes']>): string[] {
  const names = [tensor.toLowerCase()];
  let frontier = [tensor];
  for (let hop = 0; hop < 3 && frontier.length > 0; hop++) {
    const next: string[] = [];
    for (const value of frontier) {
      for (const node of consumers.get(value) ?? []) {
        names.push(node.name.toLowerCase());
        if (PASS_THROUGH.has(node.opType)) next.push(...node.outputs);
      }
    }
    frontier = next;
  }
  return names;
}

export function consumerMap(model: OnnxModelInfo): Map<string, OnnxModelInfo['nodes']> {
  const map = new Map<string, OnnxModelInfo['nodes']>();
  for (const node of model.nodes) {
    for (const input of node.inputs) {
      if (!input) continue;
      let list = map.get(input);
      if (!list) map.set(input, (list = []));
      list.push(node);
    }
  }
  return map;
}

const LAYER = /(?:layers|layer|blocks|block)[./_](\d+)(?:[./_]|$)|(?:^|[./])h[./](\d+)[./]/;

interface Rule {
  test: RegExp;
  component: ComponentId;
  part: string;
}

// Order matters: the first rule that matches any name wins, and a tensor's own name is tried first.
const RULES: Rule[] = [
  { test: /embed_tokens|word_embeddings|tok_embeddings|\bwte\b|embed_in|wte\.weight/, component: 'embedding', part: 'tokens' },
  { test: /embed_positions|\bwpe\b|position_embeddings/, component: 'embedding', part: 'positions' },
  { test: /lm_head|embed_out|output_projection/, component: 'outputHead', part: 'head' },
  { test: /q_norm/, component: 'norms', part: 'q_norm' },
  { test: /k_norm/, component: 'norms', part: 'k_norm' },
  { test: /post_attention_layernorm|ln_2|ffn_norm|post_layernorm/, component: 'norms', part: 'post_attention' },
  { test: /input_layernorm|ln_1|attention_norm/, component: 'norms', part: 'input' },
  { test: /model[./]norm|final_layernorm|ln_f|\/norm\/|^norm\./, component: 'norms', part: 'final' },
  { test: /qkv_proj|query_key_value|c_attn|w_pack/, component: 'attention', part: 'qkv' },
  { test: /q_proj|\bwq\b|attn[./]query|self_attn[./]q\b/, component: 'attention', part: 'q' },
  { test: /k_proj|\bwk\b|attn[./]key|self_attn[./]k\b/, component: 'attention', part: 'k' },
  { test: /v_proj|\bwv\b|attn[./]value|self_attn[./]v\b/, component: 'attention', part: 'v' },
  { test: /o_proj|out_proj|\bwo\b|attn[./]c_proj|attention[./]dense/, component: 'attention', part: 'o' },
  { test: /gate_up_proj/, component: 'mlp', part: 'gate_up' },
  { test: /gate_proj|\bw1\b/, component: 'mlp', part: 'gate' },
  { test: /up_proj|\bw3\b|c_fc|\bfc1\b|dense_h_to_4h/, component: 'mlp', part: 'up' },
  { test: /down_proj|\bw2\b|mlp[./]c_proj|\bfc2\b|dense_4h_to_h/, component: 'mlp', part: 'down' },
  { test: /norm|layernorm|\bln\b/, component: 'norms', part: 'other' },
];

/** Where one initializer belongs, from its own name first, then its readers' names. */
export function placeTensor(tensor: OnnxTensorInfo, names: readonly string[]): TensorPlace {
  let place: TensorPlace | undefined;
  for (const name of names) {
    const rule = RULES.find((r) => r.test.test(name));
    if (rule) {
      place = { component: rule.component, part: rule.part };
      break;
    }
  }
  place ??= { component: 'other', part: tensor.name };
  for (const name of names) {
    const m = LAYER.exec(name);
    if (m) {
      place.layer = Number(m[1] ?? m[2]);
      break;
    }
  }
  if (place.component === 'embedding' || place.component === 'outputHead') delete place.layer;
  return place;
}
