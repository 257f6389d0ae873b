import { strict as assert } from 'node:assert';
import { factsFromModelCard } from '../../../src/core/anatomy/modelCard';

describe('model card facts', () => {
  it('prefer a training_tokens field in the YAML front matter', () => {
    const card = '---\nlicense: mit\ntraining_tokens: 1382739\n---\n# x\n\nTrained on 5M tokens.';
    assert.deepEqual(factsFromModelCard(card), { trainingTokens: 1_382_739, trainingTokensSource: 'front matter' });
    assert.equal(factsFromModelCard('---\ntraining_tokens: 2.5B\n---\n').trainingTokens, 2_500_000_000);
  });

  it('fall back to the bold total of a training section, or "trained on N tokens"', () => {
    assert.deepEqual(factsFromModelCard('- **Run.** 371 steps, **1,382,739 target tokens** in all:'), {
      trainingTokens: 1_382_739,
      trainingTokensSource: 'prose',
    });
    assert.equal(factsFromModelCard('It was trained on 1.4T tokens of web text.').trainingTokens, 1.4e12);
  });

  it('guess nothing when the card does not say', () => {
    assert.deepEqual(factsFromModelCard('# A model\n\nNo numbers here, 100 tokens of context.'), {});
  });
});
