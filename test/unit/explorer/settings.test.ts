import { strict as assert } from 'node:assert';
import { strategyFromSettings } from '../../../src/core/decode/strategies';
import { explorerSettingsOf, samplerSpecOf } from '../../../src/core/explorer/settings';

describe('explorer settings', () => {
  it('build the chain the strategy settings build, in the default order', () => {
    const spec = samplerSpecOf({ temperature: 0.8, topK: 40, topP: 0.9, minP: 0.05 });
    assert.deepEqual(spec, strategyFromSettings({ kind: 'custom', temperature: 0.8, topK: 40, topP: 0.9, minP: 0.05 }).sampler);
    assert.deepEqual(spec.stages.map((s) => s.type), ['temperature', 'top_k', 'top_p', 'min_p']);
  });

  it('follow the chosen order and leave out stages that are off (top-k 0 or unset)', () => {
    const spec = samplerSpecOf({ temperature: 1.2, topK: 0, topP: 0.8, order: ['top_p', 'temperature'] });
    assert.deepEqual(spec.stages, [{ type: 'top_p', p: 0.8 }, { type: 'temperature', t: 1.2 }]);
    assert.equal(spec.select, 'sample');
    assert.equal(samplerSpecOf({ temperature: 0 }).select, 'greedy');
  });

  it('start from a card’s strategy with every stage carried over, penalties and new stages included', () => {
    const card = strategyFromSettings({ kind: 'custom', temperature: 0.7, topP: 0.9, repetitionPenalty: 1.2, typicalP: 0.8, dryMultiplier: 0.8, xtcProbability: 0.5, order: ['top_p'] }).sampler;
    const { settings } = explorerSettingsOf(card);
    assert.deepEqual(settings, {
      temperature: 0.7,
      topP: 0.9,
      repetitionPenalty: 1.2,
      typicalP: 0.8,
      dryMultiplier: 0.8,
      xtcProbability: 0.5,
      order: ['top_p', 'repetition_penalty', 'dry', 'temperature', 'typical_p', 'xtc'],
    });
    assert.deepEqual(samplerSpecOf(settings).stages, card.stages);
    assert.deepEqual(explorerSettingsOf(strategyFromSettings({ kind: 'greedy' }).sampler), { settings: { temperature: 0 } });
    assert.deepEqual(explorerSettingsOf(strategyFromSettings({ kind: 'top_k', topK: 40 }).sampler).settings, { temperature: 1, topK: 40 });
  });
});
