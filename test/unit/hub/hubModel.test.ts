/** Hub ids, the files a dtype needs, and what dtype "auto" means (pure functions of src/core/model/hubModel). */
import * as assert from 'node:assert/strict';
import { availableDtypes, chooseDtype, externalDataFiles, filesForDtype, formatHubId, parseHubId } from '../../../src/core/model/hubModel';

// Shaped like the file list of onnx-community/Qwen3-0.6B-ONNX (https://huggingface.co/onnx-community/Qwen3-0.6B-ONNX/tree/main/onnx): one graph per dtype, fp32 and fp16 with external data.
const QWEN3_ONNX = [
  '.gitattributes', 'README.md', 'config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json',
  'added_tokens.json', 'merges.txt', 'vocab.json',
  'onnx/model.onnx', 'onnx/model.onnx_data', 'onnx/model_bnb4.onnx', 'onnx/model_fp16.onnx', 'onnx/model_fp16.onnx_data', 'onnx/model_int8.onnx',
  'onnx/model_q4.onnx', 'onnx/model_q4f16.onnx', 'onnx/model_quantized.onnx', 'onnx/model_uint8.onnx',
];

describe('hub model ids and dtypes', () => {
  it('parses owner/name and owner/name@revision, and refuses what is not an id', () => {
    assert.deepEqual(parseHubId('HuggingFaceTB/SmolLM2-135M-Instruct'), { repo: 'HuggingFaceTB/SmolLM2-135M-Instruct', revision: 'main' });
    assert.deepEqual(parseHubId(' onnx-community/Qwen3-0.6B-ONNX@v1.0 '), { repo: 'onnx-community/Qwen3-0.6B-ONNX', revision: 'v1.0' });
    assert.deepEqual(parseHubId('a/b@refs/pr/1'), { repo: 'a/b', revision: 'refs/pr/1' });
    for (const bad of ['facts-lm', 'a/b/c', '../b', 'a/..', 'a/b@../x', 'a/b@', '/abs/path', 'a b/c', 'a/b@x/../../y']) assert.equal(parseHubId(bad), undefined, bad);
    assert.equal(formatHubId({ repo: 'a/b', revision: 'main' }), 'a/b');
    assert.equal(formatHubId({ repo: 'a/b', revision: 'dev' }), 'a/b@dev');
  });

  it('lists the dtypes a repository has and the files each needs, external data included', () => {
    assert.deepEqual(availableDtypes(QWEN3_ONNX), ['fp32', 'fp16', 'q8', 'q4', 'q4f16']);
    assert.deepEqual(filesForDtype('q/q', QWEN3_ONNX, 'fp16'), ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'onnx/model_fp16.onnx', 'onnx/model_fp16.onnx_data']);
    assert.deepEqual(filesForDtype('q/q', QWEN3_ONNX, 'q4').slice(-1), ['onnx/model_q4.onnx']);
    assert.deepEqual(externalDataFiles(['onnx/model.onnx_data_2', 'onnx/model.onnx_data', 'onnx/model.onnx_data_1', 'onnx/model.onnx_data_x'], 'onnx/model.onnx'), ['onnx/model.onnx_data', 'onnx/model.onnx_data_1', 'onnx/model.onnx_data_2']);
  });

  it('names what a repository has when the dtype or the export is missing', () => {
    assert.throws(() => filesForDtype('a/b', ['config.json', 'tokenizer.json', 'onnx/model.onnx'], 'q4f16'), /a\/b has no q4f16 weights \(onnx\/model_q4f16\.onnx\)\. It has: fp32\./);
    assert.throws(() => filesForDtype('a/b', ['config.json', 'model.safetensors'], 'fp32'), /no ONNX export that transformers\.js loads/);
    assert.throws(() => filesForDtype('a/b', ['tokenizer.json', 'onnx/model.onnx'], 'fp32'), /has no config\.json/);
  });

  it('auto: fp32 for the bundled model, fp16 or q4f16 on WebGPU with shader-f16, q8 on WASM and CPU', () => {
    const all = availableDtypes(QWEN3_ONNX);
    assert.equal(chooseDtype({ requested: 'auto', available: ['fp32'], device: 'wasm', bundled: true }), 'fp32');
    assert.equal(chooseDtype({ requested: 'auto', available: all, device: 'webgpu', shaderF16: true }), 'fp16');
    assert.equal(chooseDtype({ requested: 'auto', available: ['q4f16', 'q8'], device: 'webgpu', shaderF16: true }), 'q4f16');
    assert.equal(chooseDtype({ requested: 'auto', available: all, device: 'webgpu', shaderF16: false }), 'fp32');
    assert.equal(chooseDtype({ requested: 'auto', available: all, device: 'wasm' }), 'q8');
    assert.equal(chooseDtype({ requested: 'auto', available: ['fp32'], device: 'cpu' }), 'fp32');
    assert.equal(chooseDtype({ requested: 'q4', available: all, device: 'wasm' }), 'q4');
  });
});
