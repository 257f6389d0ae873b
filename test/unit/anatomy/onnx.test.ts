import { strict as assert } from 'node:assert';
import { OnnxFormatError, readOnnxModel } from '../../../src/core/anatomy/onnx';
import { tinyOnnx } from './onnxFixture';
import { file, message, str, uint } from './protoWriter';

describe('ONNX reader on a hand-built file', () => {
  const model = readOnnxModel(tinyOnnx());

  it('reads the header: IR version, producer and the default-domain opset', () => {
    assert.equal(model.irVersion, 8);
    assert.equal(model.producer, 'pytorch 1.13.0');
    assert.equal(model.opset, 17);
    assert.equal(model.graphName, 'tiny');
    assert.deepEqual(model.inputs, ['input_ids']);
    assert.deepEqual(model.outputs, ['logits']);
  });

  it('reads every initializer’s name, dims, dtype and byte size, whatever its storage', () => {
    const byName = new Map(model.initializers.map((t) => [t.name, t]));
    assert.equal(model.initializers.length, 12);
    const embed = byName.get('model.embed_tokens.weight')!;
    assert.deepEqual([embed.dims, embed.dtype, embed.elements, embed.bytes, embed.storage], [[10, 4], 'float32', 40, 160, 'raw']);
    const norm = byName.get('model.layers.0.input_layernorm.weight')!;
    assert.deepEqual([norm.dims, norm.bytes, norm.storage], [[4], 16, 'typed']);
    const down = byName.get('onnx::MatMul_7')!;
    assert.deepEqual([down.dims, down.bytes, down.storage, down.externalLocation], [[6, 4], 96, 'external', 'model.onnx_data']);
    const shape = byName.get('shape_const')!;
    assert.deepEqual([shape.dtype, shape.elements, shape.bytes, shape.storage], ['int64', 2, 16, 'typed']);
  });

  it('reads nodes with their inputs, and Constant nodes’ tensors as constants', () => {
    const q = model.nodes.find((n) => n.name === '/model/layers.0/self_attn/q_proj/MatMul')!;
    assert.deepEqual([q.opType, q.inputs], ['MatMul', ['x', 'onnx::MatMul_1']]);
    assert.deepEqual(model.constants.map((c) => [c.name, c.dims, c.dtype]), [['inv_freq', [1], 'float32']]);
  });

  it('says what is wrong with bytes that are not an ONNX model', () => {
    assert.throws(() => readOnnxModel(new TextEncoder().encode('version https://git-lfs.github.com/spec/v1')), OnnxFormatError);
    assert.throws(() => readOnnxModel(file(uint(1, 8))), /no graph/);
    assert.throws(() => readOnnxModel(tinyOnnx().subarray(0, 200)), /Not a readable ONNX file/);
    assert.doesNotThrow(() => readOnnxModel(file(uint(1, 8), message(7, str(2, 'empty')))));
  });
});
