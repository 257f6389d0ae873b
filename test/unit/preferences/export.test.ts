import * as assert from 'node:assert/strict';
import { csvField, exportFormatOf, exportPreferences, parsePreferencesJsonl, PREFERENCE_COLUMNS, type PreferenceRecord } from '../../../src/core/preferences';

const RECORD: PreferenceRecord = {
  prompt: 'Q: Where was "Kawe, Steiga" born?\nA:',
  chosen: ' Belcastro.',
  rejected: ' Jorvale.',
  chosen_strategy: 'greedy',
  rejected_strategy: 'top-p 0.9',
  chosen_settings: { kind: 'greedy', name: 'greedy' },
  rejected_settings: { kind: 'top_p', name: 'top-p 0.9', temperature: 1, topP: 0.9 },
  chosen_seed: 42,
  rejected_seed: 42,
  chosen_mean_logprob: -0.004,
  rejected_mean_logprob: null,
  model: 'facts-lm',
  time: '2025-05-01T12:00:00.000Z',
};

describe('preference export', () => {
  it('writes JSONL that reads back to the same records', () => {
    const text = exportPreferences([RECORD, { ...RECORD, chosen: 'x' }], 'jsonl');
    assert.equal(text.split('\n').length, 3);
    assert.deepEqual(parsePreferencesJsonl(text).records, [RECORD, { ...RECORD, chosen: 'x' }]);
  });

  it('writes CSV with a header of every column and RFC 4180 quoting', () => {
    const rows = exportPreferences([RECORD], 'csv').split('\r\n');
    assert.equal(rows[0], PREFERENCE_COLUMNS.join(','));
    assert.ok(rows[1]!.startsWith('"Q: Where was ""Kawe, Steiga"" born?\nA:", Belcastro., Jorvale.,greedy,top-p 0.9,'));
    assert.ok(rows[1]!.includes(',"{""kind"":""top_p"",""name"":""top-p 0.9"",""temperature"":1,""topP"":0.9}",42,42,-0.004,,,,,,facts-lm,'));
    assert.equal(rows[2], '');
  });

  it('quotes a field only when it must, and leaves missing values empty', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('line\nbreak'), '"line\nbreak"');
    assert.equal(csvField(null), '');
    assert.equal(csvField(undefined), '');
    assert.equal(csvField(-1.5), '-1.5');
  });

  it('picks the format from the file name', () => {
    assert.equal(exportFormatOf('prefs.CSV'), 'csv');
    assert.equal(exportFormatOf('out/prefs.jsonl'), 'jsonl');
    assert.equal(exportFormatOf('prefs.txt'), undefined);
  });
});
