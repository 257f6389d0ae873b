import * as assert from 'node:assert/strict';
import { argmaxMeanLogprob, sequencesFor } from '../../../src/core/decode/compare';
import { defaultStrategies, kindFromName, StrategyError, strategyFromSettings, uniqueNames } from '../../../src/core/decode/strategies';
import { validateDecodeOptions } from '../../../src/core/decode/validateOptions';
import type { Completion } from '../../../src/core/decode/types';

describe('strategy presets', () => {
  it('offer greedy, temperature, top-k, top-p, min-p and best-of-N by default', () => {
    assert.deepEqual(defaultStrategies().map((s) => s.kind), ['greedy', 'temperature', 'top_k', 'top_p', 'min_p', 'best_of_n']);
  });

  it('make greedy an argmax with no stages, and T = 0 greedy too', () => {
    assert.deepEqual(strategyFromSettings({ kind: 'greedy' }).sampler, { stages: [], select: 'greedy' });
    assert.equal(strategyFromSettings({ kind: 'top_p', temperature: 0 }).sampler.select, 'greedy');
  });

  it('put temperature first by default and follow a user-given order', () => {
    const def = strategyFromSettings({ kind: 'custom', temperature: 0.7, topK: 20, topP: 0.9, minP: 0.05 });
    assert.deepEqual(def.sampler.stages.map((s) => s.type), ['temperature', 'top_k', 'top_p', 'min_p']);
    const mine = strategyFromSettings({ kind: 'custom', temperature: 0.7, topK: 20, topP: 0.9, order: ['top_p', 'top_k'] });
    assert.deepEqual(mine.sampler.stages.map((s) => s.type), ['top_p', 'top_k', 'temperature']);
  });

  it('carry best-of-N candidates and name strategies by their parameters', () => {
    const s = strategyFromSettings({ kind: 'best_of_n', candidates: 6 });
    assert.equal(s.candidates, 6);
    assert.equal(s.name, 'best-of-6');
    assert.equal(strategyFromSettings({ kind: 'top_p', topP: 0.5 }).name, 'top-p 0.5');
  });

  it('accept command-line spellings of kinds', () => {
    assert.equal(kindFromName('top-p'), 'top_p');
    assert.equal(kindFromName('Best-of-N'), 'best_of_n');
    assert.equal(kindFromName('nucleus'), undefined);
  });

  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a negative temperature', { kind: 'temperature', temperature: -0.5 }, /s\.temperature must be ≥ 0 \(got -0\.5\)\. Use 0 for greedy decoding/],
    ['top-p above 1', { kind: 'top_p', topP: 1.2 }, /s\.topP must be in \(0, 1\] \(got 1\.2\)/],
    ['a fractional top-k', { kind: 'top_k', topK: 2.5 }, /s\.topK must be an integer ≥ 1/],
    ['min-p below 0', { kind: 'min_p', minP: -0.1 }, /s\.minP must be in \[0, 1\]/],
    ['an unknown kind', { kind: 'nucleus' }, /s\.kind is "nucleus", which is not a strategy\. Use one of: greedy/],
    ['an unknown stage in the order', { kind: 'custom', order: ['top_a'] }, /s\.order must list stage names from/],
    ['a string where a number belongs', { kind: 'top_k', topK: '40' }, /s\.topK must be an integer ≥ 1 \(got "40"\)/],
  ];
  for (const [what, raw, message] of bad) {
    it(`reject ${what}, naming the setting and its range`, () => {
      assert.throws(() => strategyFromSettings(raw, 's'), (e: unknown) => e instanceof StrategyError && message.test(e.message));
    });
  }

  it('make repeated names unique', () => {
    const names = uniqueNames([strategyFromSettings({ kind: 'greedy' }), strategyFromSettings({ kind: 'greedy' })]).map((s) => s.name);
    assert.deepEqual(names, ['greedy', 'greedy (2)']);
  });
});

describe('comparison bookkeeping', () => {
  const completion = (meanLogprob: number) => ({ meanLogprob }) as Completion;

  it('best-of-N keeps the highest mean log-prob, the earlier one on ties', () => {
    assert.equal(argmaxMeanLogprob([completion(-2), completion(-0.5), completion(-1), completion(-0.5)]), 1);
  });

  it('draws one greedy sequence, N samples, and best-of-N candidates', () => {
    const [greedy, temperature, , , , best] = defaultStrategies();
    assert.equal(sequencesFor(greedy!, 5), 1);
    assert.equal(sequencesFor(temperature!, 5), 5);
    assert.equal(sequencesFor(best!, 5), 4);
  });

  it('rejects bad run options, naming them', () => {
    assert.throws(() => validateDecodeOptions({ maxNewTokens: 0, seed: 1, samples: 1 }, 1), /maxNewTokens must be an integer in \[1, 4096\] \(got 0\)/);
    assert.throws(() => validateDecodeOptions({ maxNewTokens: 5, seed: 1, samples: 0 }, 1), /samples must be an integer in \[1, 64\]/);
    assert.throws(() => validateDecodeOptions({ maxNewTokens: 5, seed: -3, samples: 1 }, 1), /seed must be an integer/);
    assert.throws(() => validateDecodeOptions({ maxNewTokens: 5, seed: 1, samples: 1 }, 0), /No strategies/);
  });
});
