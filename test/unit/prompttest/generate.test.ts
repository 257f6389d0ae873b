import * as assert from 'node:assert/strict';
import { generationCacheKeyText, parseSuite, planGeneration, riskFirstSample, type PromptTestCase } from '../../../src/core/prompttest';

function parseCase(...lines: string[]): PromptTestCase {
  const suite = parseSuite(['cases:', '  - name: a', ...lines.map((l) => `    ${l}`)].join('\n'));
  assert.deepEqual(suite.problems, []);
  return suite.cases[0]!;
}

const MODEL = { name: 'facts-lm', device: 'cpu', fingerprint: '7469141:1' };
const BASE = ['prompt: "Q: Where was Kawe Steiga born?\\nA:"', 'strategy: top_p', 'repeat: 3', 'seed: 5'];

describe('prompt test generation plans', () => {
  it('draw one batch of risk samples per distinct samples and temperature', () => {
    const c = parseCase(...BASE, 'assert:', '  - { type: max-risk, value: 0.3 }', '  - { type: max-risk, value: 0.5 }', '  - { type: max-risk, value: 0.5, samples: 4 }');
    assert.deepEqual(planGeneration(c).risk, [{ samples: 8, temperature: 1 }, { samples: 4, temperature: 1 }]);
  });

  it('key the cache on prompt, model, settings, seed and length, not on names or assertions', () => {
    const key = (...lines: string[]) => generationCacheKeyText(planGeneration(parseCase(...lines, 'assert: [{ type: contains, value: x }]')), MODEL);
    const base = key(...BASE);
    assert.equal(key(...BASE.slice(0, 3), 'seed: 5', 'pass_rate: 0.5'), base);
    assert.equal(generationCacheKeyText(planGeneration(parseCase(...BASE, 'assert: [{ type: regex, value: y }]')), MODEL), base);
    for (const changed of [
      ['prompt: "Q: Where was Ada born?\\nA:"', ...BASE.slice(1)],
      [...BASE.slice(0, 1), 'settings: { kind: top_p, topP: 0.8 }', ...BASE.slice(2)],
      [...BASE.slice(0, 3), 'seed: 6'],
      [...BASE, 'max_tokens: 5'],
      [...BASE, 'stop: "\\n"'],
      [...BASE.slice(0, 2), 'repeat: 4', 'seed: 5'],
    ]) {
      assert.notEqual(key(...changed), base, changed.join('; '));
    }
    const plan = planGeneration(parseCase(...BASE, 'assert: [{ type: contains, value: x }]'));
    assert.notEqual(generationCacheKeyText(plan, { ...MODEL, device: 'wasm' }), generationCacheKeyText(plan, MODEL));
    assert.notEqual(generationCacheKeyText(plan, { ...MODEL, fingerprint: 'other weights' }), generationCacheKeyText(plan, MODEL));
  });

  it('draw the risk samples like Check Hallucination Risk after greedy, and past the runs after sampling', () => {
    const greedy = planGeneration(parseCase('prompt: hi', 'seed: 5', 'repeat: 3', 'assert: [{ type: contains, value: x }]'));
    assert.equal(riskFirstSample(greedy), 0);
    const sampled = planGeneration(parseCase(...BASE, 'assert: [{ type: contains, value: x }]'));
    assert.equal(riskFirstSample(sampled), 3);
    const bestOf = planGeneration(parseCase('prompt: hi', 'seed: 5', 'repeat: 2', 'settings: { kind: best_of_n, candidates: 3 }', 'assert: [{ type: contains, value: x }]'));
    assert.equal(riskFirstSample(bestOf), 6);
  });
});
