/** Prompt tests' `chat:` and `system:` keys: parsed with defaults, checked, and part of the plan and its cache key. */
import * as assert from 'node:assert/strict';
import { generationCacheKeyText, parseSuite, planGeneration } from '../../../src/core/prompttest';

const yaml = (...lines: string[]) => lines.join('\n') + '\n';
const model = { name: 'm', device: 'cpu' };

describe('prompt tests: chat and system', () => {
  const suite = parseSuite(
    yaml(
      'defaults:',
      '  system: You answer in one word.',
      'cases:',
      '  - name: templated',
      '    prompt: Capital of France?',
      '    assert: [{ type: max-tokens, value: 8 }]',
      '  - name: raw',
      '    chat: false',
      '    system: null',
      '    prompt: "Q: Capital of France?\\nA:"',
      '    assert: [{ type: max-tokens, value: 8 }]',
      '  - name: unspecified',
      '    prompt: Hi',
      '    system: null',
      '    assert: [{ type: max-tokens, value: 8 }]',
    ),
  );

  it('reads chat and system, with defaults, into the case and its plan', () => {
    assert.deepEqual(suite.problems, []);
    const [templated, raw, unspecified] = suite.cases;
    assert.equal(templated!.system, 'You answer in one word.');
    assert.equal(templated!.chat, undefined, 'no chat key: the template when the model has one');
    assert.equal(raw!.chat, false);
    assert.equal(raw!.system, undefined);
    assert.deepEqual([planGeneration(templated!).system, planGeneration(raw!).chat], ['You answer in one word.', false]);
    assert.ok(!('chat' in planGeneration(unspecified!)) && !('system' in planGeneration(unspecified!)));
  });

  it('makes chat and system part of the cache key, and leaves other keys as they were', () => {
    const [templated, raw, unspecified] = suite.cases.map((c) => generationCacheKeyText(planGeneration(c), model));
    assert.match(templated!, /"system":"You answer in one word\."/);
    assert.match(raw!, /"chat":false/);
    assert.doesNotMatch(unspecified!, /"chat"|"system"/);
  });

  it('names a wrong type, and a system message on a raw case', () => {
    const bad = parseSuite(yaml('cases:', '  - name: a', '    prompt: x', '    chat: yes please', '    assert: [{ type: max-tokens, value: 8 }]'));
    assert.match(bad.problems[0]!.message, /chat must be true .* or false .*got "yes please"/);
    const contradiction = parseSuite(yaml('cases:', '  - name: a', '    prompt: x', '    chat: false', '    system: Be kind.', '    assert: [{ type: max-tokens, value: 8 }]'));
    assert.match(contradiction.problems[0]!.message, /system needs the chat template, but chat is false here/);
    assert.equal(contradiction.problems[0]!.range.line, 5);
  });
});
