import * as assert from 'node:assert/strict';
import { splitSentences } from '../../../src/core/consistency';

const texts = (t: string) => splitSentences(t).map((s) => s.text);

describe('sentence splitting', () => {
  it('splits at a period, question or exclamation mark before a capital', () => {
    assert.deepEqual(texts('He was born in Paris. He moved to Rome! Why? Nobody knows.'), [
      'He was born in Paris.',
      'He moved to Rome!',
      'Why?',
      'Nobody knows.',
    ]);
  });

  it('keeps titles, initials and decimals inside a sentence', () => {
    assert.deepEqual(texts('Dr. Smith met J. R. R. Tolkien in 1950. He had a 3.5 ERA.'), [
      'Dr. Smith met J. R. R. Tolkien in 1950.',
      'He had a 3.5 ERA.',
    ]);
    assert.deepEqual(texts('She was a member of the U.S. National Team. She won gold.'), [
      'She was a member of the U.S. National Team.',
      'She won gold.',
    ]);
    assert.deepEqual(texts('He received his Ph.D. in 1962 and his B.A. in English.'), ['He received his Ph.D. in 1962 and his B.A. in English.']);
  });

  it('ends a sentence after an abbreviation when a sentence opener follows', () => {
    assert.deepEqual(texts('He moved to the U.S. He worked there.'), ['He moved to the U.S.', 'He worked there.']);
    assert.deepEqual(texts('He defeated George Lodge, Jr. In 1964 he won again.'), ['He defeated George Lodge, Jr.', 'In 1964 he won again.']);
    assert.deepEqual(texts('He won the James Tiptree, Jr. Award.'), ['He won the James Tiptree, Jr. Award.']);
  });

  it('does not split before a lower-case word', () => {
    assert.deepEqual(texts('It weighs approx. five tonnes. It is red.'), ['It weighs approx. five tonnes.', 'It is red.']);
  });

  it('treats line breaks as sentence ends and reports offsets into the original text', () => {
    const text = ' Paris.\n\nRome is old';
    const spans = splitSentences(text);
    assert.deepEqual(spans.map((s) => s.text), ['Paris.', 'Rome is old']);
    for (const s of spans) assert.equal(text.slice(s.start, s.end), s.text);
  });

  it('keeps closing quotes and brackets with their sentence', () => {
    assert.deepEqual(texts('He said "Go." Then he left.'), ['He said "Go."', 'Then he left.']);
  });

  it('keeps a numbered list marker with its item', () => {
    assert.deepEqual(texts('Steps:\n1. Mix the flour. Add water.\n2. Bake it.'), ['Steps:', '1. Mix the flour.', 'Add water.', '2. Bake it.']);
    assert.deepEqual(texts('He was born in 1950. He died in 2001.'), ['He was born in 1950.', 'He died in 2001.']);
  });

  it('finds no sentence in text without letters or digits', () => {
    assert.deepEqual(splitSentences(' ... — '), []);
    assert.deepEqual(splitSentences(''), []);
  });
});
