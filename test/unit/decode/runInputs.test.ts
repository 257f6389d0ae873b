import * as assert from 'node:assert/strict';
import { checkMaxNewTokens, decodeEscapes, describeStops, MAX_STOP_STRINGS, parseMaxTokens, parseStopList } from '../../../src/core/decode/runInputs';

describe('the per-run inputs (the panel\'s Max tokens and Stop at, the CLI\'s --stop)', () => {
  it('reads stop strings separated by commas or line breaks, with escapes decoded', () => {
    assert.deepEqual(parseStopList('\\n\\n, .'), ['\n\n', '.']);
    assert.deepEqual(parseStopList('Q:\nEND'), ['Q:', 'END']);
    assert.deepEqual(parseStopList('a\\,b, \\t'), ['a,b', '\t']);
    assert.deepEqual(parseStopList('\\\\n'), ['\\n'], 'an escaped backslash before n is a backslash and an n');
    assert.deepEqual(parseStopList('x\\ ,y'), ['x ', 'y'], '\\ keeps a space the layout would trim');
    assert.deepEqual(parseStopList('C:\\d'), ['C:\\d'], 'an unknown escape stays as written');
  });

  it('drops blank items and repeats, and an empty field is no stop strings', () => {
    assert.deepEqual(parseStopList(''), []);
    assert.deepEqual(parseStopList(' , ,\n'), []);
    assert.deepEqual(parseStopList('., .,'), ['.']);
  });

  it('refuses more stop strings than a run takes, and one too long, naming the limit', () => {
    const many = Array.from({ length: MAX_STOP_STRINGS + 1 }, (_, i) => `s${i}`).join(',');
    assert.throws(() => parseStopList(many), new RegExp(`At most ${MAX_STOP_STRINGS} stop strings \\(got ${MAX_STOP_STRINGS + 1}\\)`));
    assert.throws(() => parseStopList('x'.repeat(201)), /at most 200 characters \(one has 201\)/);
  });

  it('reads max tokens as a whole number from 1 to 512; blank is the setting', () => {
    assert.equal(parseMaxTokens(' 64 '), 64);
    assert.equal(parseMaxTokens(''), undefined);
    for (const bad of ['0', '99999', 'abc', '1.5', '-3', '1e2']) assert.throws(() => parseMaxTokens(bad), new RegExp(`Max tokens must be a whole number from 1 to 512 \\(got "${bad}"\\)`), bad);
    assert.throws(() => checkMaxNewTokens(513, 'maxNewTokens'), /maxNewTokens must be a whole number from 1 to 512 \(got 513\)/);
    assert.equal(checkMaxNewTokens(512), 512);
  });

  it('decodes one --stop value the same way, and the header shows each string quoted with its escapes', () => {
    assert.equal(decodeEscapes('\\n\\nQ:'), '\n\nQ:');
    assert.equal(decodeEscapes('a,b'), 'a,b');
    assert.equal(describeStops(['\n\n', '.']), '"\\n\\n", "."');
  });
});
