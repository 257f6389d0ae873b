import { strict as assert } from 'node:assert';
import { architectureFromConfig, parametersFromConfig } from '../../../src/core/anatomy/config';

describe('config-derived parameter counts', () => {
  const facts = {
    model_type: 'llama', vocab_size: 1400, hidden_size: 192, intermediate_size: 512, num_hidden_layers: 4,
    num_attention_heads: 6, num_key_value_heads: 2, head_dim: 32, max_position_embeddings: 256, tie_word_embeddings: true,
  };

  it('give the bundled model card’s figures: 268,800 + 4 × 393,600 + 192 = 1,843,392', () => {
    const c = parametersFromConfig(facts)!;
    assert.equal(c.components.embedding, 268_800);
    assert.equal(c.perLayer, 393_600);
    assert.equal(c.components.attention, 4 * (36_864 + 12_288 + 12_288 + 36_864));
    assert.equal(c.components.mlp, 4 * 294_912);
    assert.equal(c.components.norms, 4 * 384 + 192);
    assert.equal(c.components.outputHead, 0);
    assert.equal(c.total, 1_843_392);
  });

  it('count an untied head, Qwen2’s q/k/v biases and Qwen3’s q/k norms', () => {
    assert.equal(parametersFromConfig({ ...facts, tie_word_embeddings: false })!.components.outputHead, 268_800);
    const qwen2 = parametersFromConfig({ ...facts, model_type: 'qwen2' })!;
    assert.equal(qwen2.components.attention - parametersFromConfig(facts)!.components.attention, 4 * (6 * 32 + 2 * 2 * 32));
    const qwen3 = parametersFromConfig({ ...facts, model_type: 'qwen3' })!;
    assert.equal(qwen3.components.norms - parametersFromConfig(facts)!.components.norms, 4 * 2 * 32);
  });

  it('read GPT-2 style names and default head_dim to hidden / heads', () => {
    const a = architectureFromConfig({ n_embd: 768, n_head: 12, n_layer: 12, n_positions: 1024, vocab_size: 50257 });
    assert.deepEqual([a.hiddenSize, a.heads, a.kvHeads, a.headDim, a.layers, a.contextLength], [768, 12, 12, 64, 12, 1024]);
    assert.equal(parametersFromConfig({ model_type: 'gpt2', n_embd: 768 }), undefined);
    assert.equal(parametersFromConfig({ model_type: 'llama' }), undefined, 'missing shape fields');
  });
});
