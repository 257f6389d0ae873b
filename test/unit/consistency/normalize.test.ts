import * as assert from 'node:assert/strict';
import { normalizeAnswer, numberWordsToDigits, stripAnswerPrefix, wordTokens } from '../../../src/core/consistency';

describe('answer normalisation', () => {
  it('ignores case, whitespace, punctuation and a trailing period', () => {
    assert.equal(normalizeAnswer('  London.  '), 'london');
    assert.equal(normalizeAnswer('LONDON!'), 'london');
    assert.equal(normalizeAnswer('New   York,\tUSA'), 'new york usa');
  });

  it('strips leading answer labels such as "A:" and "Answer:"', () => {
    assert.equal(normalizeAnswer('A: Paris.'), 'paris');
    assert.equal(normalizeAnswer('Answer: Paris'), 'paris');
    assert.equal(stripAnswerPrefix('A: A: Paris'), 'Paris');
  });

  it('drops the articles a, an and the', () => {
    assert.equal(normalizeAnswer('The Hague'), normalizeAnswer('hague'));
    assert.equal(normalizeAnswer('an engineer'), 'engineer');
  });

  it('reads digits with thousands separators and number words as the same number', () => {
    assert.equal(normalizeAnswer('1,953'), '1953');
    assert.equal(normalizeAnswer('nineteen fifty-three'), '1953');
    assert.equal(normalizeAnswer('In 1953.'), 'in 1953');
    assert.equal(normalizeAnswer('twenty-one'), '21');
    assert.equal(normalizeAnswer('two hundred and five'), '205');
    assert.equal(normalizeAnswer('three thousand'), '3000');
  });

  it('keeps decimals and separate numbers apart', () => {
    assert.deepEqual(wordTokens('a 3.5 ERA'), ['a', '3.5', 'era']);
    assert.deepEqual(numberWordsToDigits(['five', 'six']), ['5', '6']);
    assert.deepEqual(wordTokens('1,2 and 1,000,000'), ['1', '2', 'and', '1000000']);
  });

  it('joins apostrophes inside words', () => {
    assert.deepEqual(wordTokens("Queen's Counsel"), ['queens', 'counsel']);
  });

  it('maps an answer with no words to the empty string', () => {
    assert.equal(normalizeAnswer(' ... '), '');
    assert.equal(normalizeAnswer('A:'), '');
  });
});
