/**
 * Model anatomy: where a model's parameters go, read from the ONNX file's initializers and set
 * beside what config.json implies (the weight-composition figure of AI Engineering, ch. 2).
 * Pure and browser-safe: the webview calls it with fetched bytes, the CLI with a file's bytes.
 */
import { COMPONENT_LABELS, COMPONENT_ORDER, consumerMap, namesOf, placeTensor, type ComponentId, type TensorPlace } from './components';
import { architectureFromConfig, parametersFromConfig, type Architecture, type ConfigCounts } from './config';
import { isFloatType, readOnnxModel, type OnnxTensorInfo } from './onnx';

/** Chinchilla's compute-optimal ratio: about 20 training tokens per parameter (Hoffmann et al., 2022). */
export const CHINCHILLA_TOKENS_PER_PARAMETER = 20;

export interface ComponentSummary {
  component: ComponentId;
  label: string;
  parameters: number;
  /** parameters / total. */
  share: number;
  bytes: number;
  tensors: number;
  /** Finer parts, largest first: q, k, v, o; gate, up, down; input, post_attention, final. */
  parts: Array<{ part: string; parameters: number }>;
  /** The count config.json implies, for Llama-type models. */
  fromConfig?: number;
  note?: string;
}

export interface LayerSummary {
  layer: number;
  parameters: number;
  attention: number;
  mlp: number;
  norms: number;
}

export interface TensorSummary extends OnnxTensorInfo, TensorPlace {
  /** Counted as a parameter (a weight), not a constant such as a shape. */
  parameter: boolean;
}

export interface ChinchillaComparison {
  tokensPerParameter: number;
  /** ≈ 20 × parameters. */
  computeOptimalTokens: number;
  /** From the model card, when it says. */
  trainingTokens?: number;
  trainingTokensSource?: string;
  /** trainingTokens / parameters. */
  trainedTokensPerParameter?: number;
  /** trainingTokens / computeOptimalTokens. */
  fractionOfOptimal?: number;
}

export interface ModelAnatomy {
  architecture: Architecture;
  /** The element type most parameters are stored in, e.g. "float32". */
  dtype: string;
  /** The .onnx file's size. */
  fileBytes: number;
  /** Bytes in external data files the graph points to (0 when every weight is inside the file). */
  externalDataBytes: number;
  /** Bytes the parameters occupy. */
  weightBytes: number;
  totalParameters: number;
  /** Always all six components, in COMPONENT_ORDER, zeros included (the chart's bars). */
  components: ComponentSummary[];
  layers: LayerSummary[];
  tensors: TensorSummary[];
  /** Initializers and Constant-node tensors that are not weights (shapes, rotary frequencies). */
  constants: { tensors: number; elements: number; bytes: number };
  head: { tied: boolean; note: string };
  /** Config-derived counts and whether each component matches the ONNX count. */
  config?: ConfigCounts & { matches: boolean; differences: string[] };
  chinchilla: ChinchillaComparison;
  onnx: { irVersion: number; opset?: number; producer: string; nodes: number };
  notes: string[];
}

export interface ModelCardInput {
  trainingTokens?: number;
  trainingTokensSource?: string;
}

/**
 * ONNX element types a quantized weight is stored in: (u)int8, (u)int16, (u)int4. An int32/int64
 * initializer beside a layer is an axis or shape operand (the q8 graph's Unsqueeze axes), not a weight.
 */
const QUANTIZED_WEIGHT_TYPES = new Set([2, 3, 4, 5, 21, 22]);

/**
 * The inputs of quantized operators that hold a weight's scales and zero points (by position, from
 * the ONNX operator specs and onnxruntime's contrib ops): metadata of a weight, not parameters of
 * the model. Counted, they made a q8 graph's total 0.45% larger than its fp32 graph's.
 */
const QUANTIZATION_INPUTS: Record<string, readonly number[]> = {
  DequantizeLinear: [1, 2],
  QuantizeLinear: [1, 2],
  MatMulInteger: [2, 3],
  ConvInteger: [2, 3],
  MatMulNBits: [2, 3],
  GatherBlockQuantized: [2, 3],
  DynamicQuantizeMatMul: [2, 3],
};

/**
 * onnxruntime's quantizer (and tools/model/quantize.py after it) names a weight's parts
 * `<w>_quantized`, `<w>_scale` and `<w>_zero_point`, with a counter suffix; the scale may then be
 * applied by a plain Mul, so the name is how it is known.
 */
const QUANTIZATION_PART = /^(.*)_(?:scale|zero_point)(?:_\d+)?$/;

/** True when `name` holds a quantized weight's scales or zero points (by the reading op, or by name beside its `_quantized` weight). */
function isQuantizationParameter(name: string, consumers: ReturnType<typeof consumerMap>, quantizedBases: ReadonlySet<string>): boolean {
  const base = QUANTIZATION_PART.exec(name)?.[1];
  if (base !== undefined && quantizedBases.has(base)) return true;
  const nodes = consumers.get(name) ?? [];
  return nodes.length > 0 && nodes.every((n) => (QUANTIZATION_INPUTS[n.opType] ?? []).some((i) => n.inputs[i] === name));
}

export function anatomyFromOnnx(bytes: Uint8Array, config: object, card: ModelCardInput = {}): ModelAnatomy {
  const model = readOnnxModel(bytes);
  const consumers = consumerMap(model);
  const notes: string[] = [];

  const quantizedBases = new Set(model.initializers.flatMap((t) => /^(.*)_quantized(?:_\d+)?$/.exec(t.name)?.[1] ?? []));
  const tensors: TensorSummary[] = model.initializers.map((t) => {
    const place = placeTensor(t, namesOf(t.name, consumers));
    // A float initializer is a weight; an integer one is a weight only where it sits in a known
    // component (a quantized matrix), otherwise it is a shape or index constant.
    // A rank-0 initializer is a constant operand (the q8 graph's 128 offset), not a weight.
    const parameter = t.dims.length > 0 && !isQuantizationParameter(t.name, consumers, quantizedBases) && (isFloatType(t.dataType) || (place.component !== 'other' && QUANTIZED_WEIGHT_TYPES.has(t.dataType)));
    return { ...t, ...place, parameter };
  });
  const weights = tensors.filter((t) => t.parameter);
  const totalParameters = weights.reduce((n, t) => n + t.elements, 0);

  const byComponent = new Map<ComponentId, TensorSummary[]>(COMPONENT_ORDER.map((c) => [c, []]));
  for (const t of weights) byComponent.get(t.component)!.push(t);

  const architecture = architectureFromConfig(config);
  const embedding = weights.find((t) => t.component === 'embedding' && t.part === 'tokens');
  if (embedding && embedding.dims.length === 2) {
    architecture.vocabulary ??= embedding.dims[0];
    architecture.hiddenSize ??= embedding.dims[1];
    if (architecture.vocabulary !== embedding.dims[0]) {
      notes.push(`config.json says vocab_size ${architecture.vocabulary}, but the embedding has ${embedding.dims[0]} rows.`);
    }
  }
  const layerIds = [...new Set(weights.flatMap((t) => (t.layer === undefined ? [] : [t.layer])))].sort((a, b) => a - b);
  architecture.layers ??= layerIds.length > 0 ? layerIds[layerIds.length - 1]! + 1 : undefined;

  const head = headOf(consumers, embedding, byComponent.get('outputHead')!.length > 0, architecture.tiedEmbeddings);
  const configCounts = parametersFromConfig(config);

  const components: ComponentSummary[] = COMPONENT_ORDER.map((component) => {
    const list = byComponent.get(component)!;
    const parameters = list.reduce((n, t) => n + t.elements, 0);
    const parts = new Map<string, number>();
    for (const t of list) parts.set(t.part, (parts.get(t.part) ?? 0) + t.elements);
    const summary: ComponentSummary = {
      component,
      label: COMPONENT_LABELS[component],
      parameters,
      share: totalParameters > 0 ? parameters / totalParameters : 0,
      bytes: list.reduce((n, t) => n + t.bytes, 0),
      tensors: list.length,
      parts: [...parts].map(([part, n]) => ({ part, parameters: n })).sort((a, b) => b.parameters - a.parameters),
    };
    if (configCounts) summary.fromConfig = configCounts.components[component];
    if (component === 'outputHead') summary.note = head.note;
    if (component === 'other' && list.length > 0) summary.note = `unrecognised weights: ${list.map((t) => t.name).join(', ')}`;
    return summary;
  });

  const layers: LayerSummary[] = layerIds.map((layer) => {
    const inLayer = weights.filter((t) => t.layer === layer);
    const sum = (c: ComponentId) => inLayer.filter((t) => t.component === c).reduce((n, t) => n + t.elements, 0);
    return { layer, parameters: inLayer.reduce((n, t) => n + t.elements, 0), attention: sum('attention'), mlp: sum('mlp'), norms: sum('norms') };
  });

  let configSummary: ModelAnatomy['config'];
  if (configCounts) {
    const differences = components
      .filter((c) => c.fromConfig !== c.parameters)
      .map((c) => `${c.label}: ONNX ${c.parameters}, config ${c.fromConfig}`);
    configSummary = { ...configCounts, matches: differences.length === 0, differences };
  } else {
    notes.push('Config-derived counts are computed for Llama-type models (llama, mistral, qwen2, qwen3) only.');
  }

  const constantsList = [...tensors.filter((t) => !t.parameter), ...model.constants];
  const dtypeWeights = new Map<string, number>();
  for (const t of weights) dtypeWeights.set(t.dtype, (dtypeWeights.get(t.dtype) ?? 0) + t.elements);
  const dtype = [...dtypeWeights].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'unknown';
  if (dtypeWeights.size > 1) notes.push(`Mixed weight types: ${[...dtypeWeights].map(([d, n]) => `${d} ${n}`).join(', ')}.`);

  const computeOptimalTokens = CHINCHILLA_TOKENS_PER_PARAMETER * totalParameters;
  const chinchilla: ChinchillaComparison = { tokensPerParameter: CHINCHILLA_TOKENS_PER_PARAMETER, computeOptimalTokens };
  if (card.trainingTokens !== undefined && card.trainingTokens > 0) {
    chinchilla.trainingTokens = card.trainingTokens;
    if (card.trainingTokensSource) chinchilla.trainingTokensSource = card.trainingTokensSource;
    chinchilla.trainedTokensPerParameter = totalParameters > 0 ? card.trainingTokens / totalParameters : undefined;
    chinchilla.fractionOfOptimal = computeOptimalTokens > 0 ? card.trainingTokens / computeOptimalTokens : undefined;
  }

  return {
    architecture,
    dtype,
    fileBytes: model.fileBytes,
    externalDataBytes: tensors.filter((t) => t.storage === 'external').reduce((n, t) => n + t.bytes, 0),
    weightBytes: weights.reduce((n, t) => n + t.bytes, 0),
    totalParameters,
    components,
    layers,
    tensors,
    constants: {
      tensors: constantsList.length,
      elements: constantsList.reduce((n, t) => n + t.elements, 0),
      bytes: constantsList.reduce((n, t) => n + t.bytes, 0),
    },
    head,
    config: configSummary,
    chinchilla,
    onnx: { irVersion: model.irVersion, opset: model.opset, producer: model.producer, nodes: model.nodes.length },
    notes,
  };
}

/**
 * Is the output head the embedding matrix? Yes when there is no head weight and the graph reads
 * the embedding somewhere other than its lookup (a Transpose or MatMul feeding the logits).
 */
function headOf(
  consumers: ReturnType<typeof consumerMap>,
  embedding: TensorSummary | undefined,
  hasHeadWeights: boolean,
  configTied: boolean | undefined,
): ModelAnatomy['head'] {
  if (hasHeadWeights) {
    return { tied: false, note: configTied ? 'config.json says tied, but the file stores a separate head matrix' : 'a separate matrix' };
  }
  if (!embedding) return { tied: false, note: 'no embedding or head weights found' };
  const readers = consumers.get(embedding.name) ?? [];
  const asHead = readers.find((n) => n.opType !== 'Gather');
  if (asHead) {
    return {
      tied: true,
      note: `tied: the head is the embedding matrix (read by ${asHead.opType} "${asHead.name}"), 0 extra parameters`,
    };
  }
  if (configTied !== false) return { tied: true, note: 'tied (config.json): the head is the embedding matrix, 0 extra parameters' };
  return { tied: false, note: 'no head weights found in the file' };
}
