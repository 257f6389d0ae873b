import { strict as assert } from 'node:assert';
import { anatomyFromOnnx, CHINCHILLA_TOKENS_PER_PARAMETER } from '../../../src/core/anatomy/anatomy';
import { TINY_CONFIG, TINY_TOTAL, tinyOnnx } from './onnxFixture';

describe('model anatomy from ONNX bytes and config.json', () => {
  const anatomy = anatomyFromOnnx(tinyOnnx(), TINY_CONFIG, { trainingTokens: 1000, trainingTokensSource: 'front matter' });
  const count = (id: string) => anatomy.components.find((c) => c.component === id)!.parameters;

  it('counts every weight once, and the components sum to the total', () => {
    assert.equal(anatomy.totalParameters, TINY_TOTAL);
    assert.equal(anatomy.components.reduce((n, c) => n + c.parameters, 0), anatomy.totalParameters);
    assert.deepEqual(anatomy.components.map((c) => c.component), ['embedding', 'attention', 'mlp', 'norms', 'outputHead', 'other']);
  });

  it('groups renamed weights (onnx::MatMul_N) by the nodes that read them', () => {
    assert.deepEqual([count('embedding'), count('attention'), count('mlp'), count('norms'), count('outputHead'), count('other')], [40, 48, 72, 12, 0, 0]);
    const attention = anatomy.components.find((c) => c.component === 'attention')!;
    assert.deepEqual(Object.fromEntries(attention.parts.map((p) => [p.part, p.parameters])), { q: 16, o: 16, k: 8, v: 8 });
    const mlp = anatomy.components.find((c) => c.component === 'mlp')!;
    assert.deepEqual(Object.fromEntries(mlp.parts.map((p) => [p.part, p.parameters])), { gate: 24, up: 24, down: 24 });
    assert.deepEqual(anatomy.layers, [{ layer: 0, parameters: 48 + 72 + 8, attention: 48, mlp: 72, norms: 8 }]);
  });

  it('notes a tied output head: 0 extra parameters, read through the Transpose', () => {
    assert.equal(anatomy.head.tied, true);
    assert.match(anatomy.head.note, /tied.*tied_lm_head_transpose.*0 extra parameters/);
    assert.equal(anatomy.components.find((c) => c.component === 'outputHead')!.note, anatomy.head.note);
  });

  it('matches the counts config.json implies, component by component', () => {
    assert.equal(anatomy.config!.matches, true, anatomy.config!.differences.join('; '));
    assert.equal(anatomy.config!.total, TINY_TOTAL);
    assert.equal(anatomy.config!.perLayer, 128);
    for (const c of anatomy.components) assert.equal(c.fromConfig, c.parameters, c.label);
  });

  it('reports the shape, dtype and sizes', () => {
    const a = anatomy.architecture;
    assert.deepEqual([a.layers, a.heads, a.kvHeads, a.hiddenSize, a.headDim, a.vocabulary, a.contextLength], [1, 2, 1, 4, 2, 10, 32]);
    assert.equal(anatomy.dtype, 'float32');
    assert.equal(anatomy.fileBytes, tinyOnnx().length);
    assert.equal(anatomy.externalDataBytes, 96);
    assert.equal(anatomy.weightBytes, 4 * TINY_TOTAL);
    assert.deepEqual(anatomy.constants, { tensors: 2, elements: 3, bytes: 20 }, 'the int64 shape and the Constant node');
  });

  it('sets Chinchilla’s ≈ 20 tokens per parameter beside the tokens the card states', () => {
    assert.equal(CHINCHILLA_TOKENS_PER_PARAMETER, 20);
    assert.equal(anatomy.chinchilla.computeOptimalTokens, 20 * TINY_TOTAL);
    assert.equal(anatomy.chinchilla.trainingTokens, 1000);
    assert.equal(anatomy.chinchilla.fractionOfOptimal, 1000 / (20 * TINY_TOTAL));
    const noCard = anatomyFromOnnx(tinyOnnx(), TINY_CONFIG);
    assert.equal(noCard.chinchilla.trainingTokens, undefined);
  });

  it('shows a mismatch with config.json instead of hiding it', () => {
    const wrong = anatomyFromOnnx(tinyOnnx(), { ...TINY_CONFIG, intermediate_size: 8 });
    assert.equal(wrong.config!.matches, false);
    assert.deepEqual(wrong.config!.differences, ['MLP: ONNX 72, config 96']);
    const untied = anatomyFromOnnx(tinyOnnx(), { ...TINY_CONFIG, tie_word_embeddings: false });
    assert.deepEqual(untied.config!.differences, ['Output head: ONNX 0, config 40']);
  });

  it('fills the shape from the weights when config.json lacks it, and skips config counts for other architectures', () => {
    const bare = anatomyFromOnnx(tinyOnnx(), { model_type: 'gpt_neox' });
    assert.deepEqual([bare.architecture.vocabulary, bare.architecture.hiddenSize, bare.architecture.layers], [10, 4, 1]);
    assert.equal(bare.config, undefined);
    assert.match(bare.notes.join(' '), /Llama-type models/);
    assert.equal(bare.totalParameters, TINY_TOTAL);
  });
});
