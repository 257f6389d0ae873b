/**
 * A hand-built ONNX file for a tiny Llama-type model (vocabulary 10, hidden 4, one layer, 2 query
 * heads and 1 key/value head of size 2, MLP 6, tied head), with each storage form the reader meets:
 * raw_data, packed float_data, external data, non-packed dims, an int64 shape constant and a
 * Constant node. Its 172 parameters are listed below, visibly.
 */
import { bytes, file, message, packedFloats, packedVarints, str, uint, type Part } from './protoWriter';

const FLOAT = 1;
const INT64 = 7;

/** TensorProto with raw_data (field 9) of the right size. */
function rawTensor(name: string, dims: number[]): Part {
  const n = dims.reduce((a, b) => a * b, 1);
  return message(5, packedVarints(1, dims), uint(2, FLOAT), str(8, name), bytes(9, new Uint8Array(4 * n)));
}

/** Node: inputs (1), outputs (2), name (3), op_type (4). */
function node(opType: string, name: string, inputs: string[], outputs: string[], ...extra: Part[]): Part {
  return message(1, ...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(3, name), str(4, opType), ...extra);
}

const matmul = (path: string, weight: string) => node('MatMul', `/model/layers.0/${path}/MatMul`, ['x', weight], [`${path}_out`]);

export const TINY_CONFIG = {
  model_type: 'llama',
  vocab_size: 10,
  hidden_size: 4,
  intermediate_size: 6,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  head_dim: 2,
  max_position_embeddings: 32,
  tie_word_embeddings: true,
  torch_dtype: 'float32',
};

/** embedding 40; attention q 16, k 8, v 8, o 16; MLP 3 × 24; norms 4 + 4 + 4. */
export const TINY_TOTAL = 40 + 48 + 72 + 12;

export function tinyOnnx(): Uint8Array {
  const graph: Part[] = [
    str(2, 'tiny'),
    rawTensor('model.embed_tokens.weight', [10, 4]),
    // Norm weight in packed float_data (field 4), dims written one varint each (not packed).
    message(5, uint(1, 4), uint(2, FLOAT), packedFloats(4, [1, 1, 1, 1]), str(8, 'model.layers.0.input_layernorm.weight')),
    rawTensor('onnx::MatMul_1', [4, 4]),
    rawTensor('onnx::MatMul_2', [4, 2]),
    rawTensor('onnx::MatMul_3', [4, 2]),
    rawTensor('onnx::MatMul_4', [4, 4]),
    rawTensor('model.layers.0.post_attention_layernorm.weight', [4]),
    rawTensor('onnx::MatMul_5', [4, 6]),
    rawTensor('onnx::MatMul_6', [4, 6]),
    // Down projection in an external file: data_location (14) = EXTERNAL, external_data (13) entries.
    message(
      5,
      packedVarints(1, [6, 4]),
      uint(2, FLOAT),
      str(8, 'onnx::MatMul_7'),
      message(13, str(1, 'location'), str(2, 'model.onnx_data')),
      message(13, str(1, 'offset'), str(2, '0')),
      message(13, str(1, 'length'), str(2, '96')),
      uint(14, 1),
    ),
    rawTensor('model.norm.weight', [4]),
    // A shape constant in int64_data (field 7): not a parameter.
    message(5, packedVarints(1, [2]), uint(2, INT64), packedVarints(7, [1, 4]), str(8, 'shape_const')),
    node('Gather', '/model/embed_tokens/Gather', ['model.embed_tokens.weight', 'input_ids'], ['embeds']),
    node('Mul', '/model/layers.0/input_layernorm/Mul_1', ['model.layers.0.input_layernorm.weight', 'h'], ['n0']),
    matmul('self_attn/q_proj', 'onnx::MatMul_1'),
    matmul('self_attn/k_proj', 'onnx::MatMul_2'),
    matmul('self_attn/v_proj', 'onnx::MatMul_3'),
    matmul('self_attn/o_proj', 'onnx::MatMul_4'),
    matmul('mlp/gate_proj', 'onnx::MatMul_5'),
    matmul('mlp/up_proj', 'onnx::MatMul_6'),
    matmul('mlp/down_proj', 'onnx::MatMul_7'),
    node('Reshape', '/model/Reshape', ['h', 'shape_const'], ['r']),
    // A Constant node (attribute 5 "value", tensor in field 5): rotary frequencies, not a parameter.
    node('Constant', '/model/Constant', [], ['inv_freq'], message(5, str(1, 'value'), message(5, packedVarints(1, [1]), uint(2, FLOAT), bytes(9, new Uint8Array(4))))),
    node('Transpose', 'tied_lm_head_transpose', ['model.embed_tokens.weight'], ['head_t']),
    node('MatMul', '/lm_head/MatMul', ['final', 'head_t'], ['logits']),
    message(11, str(1, 'input_ids')),
    message(12, str(1, 'logits')),
  ];
  return file(
    uint(1, 8), // ir_version
    str(2, 'pytorch'),
    str(3, '1.13.0'),
    message(8, str(1, ''), uint(2, 17)), // opset_import
    message(8, str(1, 'com.microsoft'), uint(2, 1)),
    message(7, ...graph),
  );
}
