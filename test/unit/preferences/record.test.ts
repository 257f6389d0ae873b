import * as assert from 'node:assert/strict';
import { defaultStrategies, strategyFromSettings } from '../../../src/core/decode/strategies';
import { makePreferenceRecord, parsePreferencesJsonl, preferenceLine, settingsOfStrategy, type ComparedCompletion } from '../../../src/core/preferences';

const completion = (text: string, seed: number, logprobs: number[]): ComparedCompletion => {
  const sum = logprobs.reduce((a, b) => a + b, 0);
  return { text, seed, sumLogprob: sum, meanLogprob: logprobs.length ? sum / logprobs.length : 0, tokens: logprobs };
};

const TIME = new Date('2025-05-01T12:00:00Z');

describe('preference records', () => {
  const record = makePreferenceRecord({
    prompt: 'Q: Where was Kawe Steiga born?\nA:',
    model: 'facts-lm',
    chosen: { strategy: strategyFromSettings({ kind: 'greedy' }), completion: completion(' Belcastro.', 42, [-0.01, -0.001]) },
    rejected: { strategy: strategyFromSettings({ kind: 'top_p', topP: 0.95 }), completion: completion(' Jorvale.', 43, [-2, -Infinity]) },
    time: TIME,
  });

  it('use the prompt, chosen and rejected fields of preference datasets, with the completions only', () => {
    assert.equal(record.prompt, 'Q: Where was Kawe Steiga born?\nA:');
    assert.equal(record.chosen, ' Belcastro.');
    assert.equal(record.rejected, ' Jorvale.');
  });

  it('carry both strategies with settings, seeds, scores, model and time', () => {
    assert.equal(record.chosen_strategy, 'greedy');
    assert.equal(record.rejected_strategy, 'top-p 0.95');
    assert.deepEqual(record.rejected_settings, { kind: 'top_p', name: 'top-p 0.95', temperature: 1, topP: 0.95 });
    assert.deepEqual([record.chosen_seed, record.rejected_seed], [42, 43]);
    assert.equal(record.chosen_mean_logprob, -0.0055);
    assert.equal(record.rejected_mean_logprob, null, 'a −∞ score is null, which JSON can hold');
    assert.deepEqual([record.chosen_tokens, record.rejected_tokens], [2, 2]);
    assert.equal(record.model, 'facts-lm');
    assert.equal(record.time, '2025-05-01T12:00:00.000Z');
  });

  it('are one line of JSON each, whatever line breaks the texts hold', () => {
    const line = preferenceLine({ ...record, chosen: 'a\nb\r\nc\u2028d' });
    assert.equal(line.indexOf('\n'), line.length - 1);
    assert.equal(JSON.parse(line).chosen, 'a\nb\r\nc\u2028d');
  });

  it('keep settings that rebuild every strategy, custom chain order included', () => {
    const strategies = [
      ...defaultStrategies(),
      strategyFromSettings({ kind: 'custom', temperature: 0.7, topK: 20, minP: 0.05, typicalP: 0.9, repetitionPenalty: 1.2, order: ['min_p', 'temperature'] }),
      strategyFromSettings({ kind: 'temperature', temperature: 0 }),
    ];
    for (const s of strategies) assert.deepEqual(strategyFromSettings(settingsOfStrategy(s)), s, s.name);
    assert.equal(settingsOfStrategy(defaultStrategies()[3]!).order, undefined, 'the default order is not written out');
  });

  describe('read from JSONL', () => {
    const lines = [preferenceLine(record), preferenceLine({ ...record, chosen: 'second' })];

    it('return every record of a clean file', () => {
      const read = parsePreferencesJsonl(lines.join(''));
      assert.deepEqual(read.records.map((r) => r.chosen), [' Belcastro.', 'second']);
      assert.deepEqual(read.skipped, []);
      assert.equal(read.tornTail, false);
    });

    it('skip and report a line cut off by a crash, keeping every earlier one', () => {
      const torn = lines.join('') + preferenceLine(record).slice(0, 40);
      const read = parsePreferencesJsonl(torn);
      assert.equal(read.records.length, 2);
      assert.equal(read.tornTail, true);
      assert.deepEqual(read.skipped, [{ line: 3, reason: 'cut off mid-record (an interrupted write)' }]);
    });

    it('skip a bad line in the middle, blank lines, and records of another shape, saying why', () => {
      const text = lines[0] + '{"prompt": "p", "chosen": \n' + '\n' + '{"prompt": "p", "chosen": [{"role": "assistant"}], "rejected": "r"}\n' + lines[1];
      const read = parsePreferencesJsonl(text);
      assert.equal(read.records.length, 2);
      assert.deepEqual(read.skipped.map((s) => s.line), [2, 4]);
      assert.match(read.skipped[0]!.reason, /^not JSON/);
      assert.match(read.skipped[1]!.reason, /"chosen" is a list of messages \(conversational format\)/);
      assert.equal(read.tornTail, false);
    });

    it('accept records from other datasets that have only prompt, chosen and rejected', () => {
      const read = parsePreferencesJsonl('{"prompt": "p", "chosen": "c", "rejected": "r"}');
      assert.deepEqual(read.records, [{ prompt: 'p', chosen: 'c', rejected: 'r' }]);
    });
  });
});
