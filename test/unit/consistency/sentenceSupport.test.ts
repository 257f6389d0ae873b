import * as assert from 'node:assert/strict';
import { contentTokens, sentenceRisks, spacyLikeTokens, unigramScores } from '../../../src/core/consistency';

describe('the unigram (max) baseline', () => {
  it('fits add-one smoothed counts on the samples plus the main passage, <unk> in the vocabulary', () => {
    // Tokens: samples "a a", "c"; main "a b" → counts a 3, b 1, c 1, <unk> 0; 5 tokens, |V| = 4.
    // p(a) = 4/9, p(b) = 2/9 → max −log p = ln 4.5, avg = (ln 9/4 + ln 4.5) / 2.
    const { max, avg } = unigramScores(['a b'], 'a b', ['a a', 'c']);
    assert.ok(Math.abs(max[0]! - Math.log(4.5)) < 1e-12);
    assert.ok(Math.abs(avg[0]! - (Math.log(9 / 4) + Math.log(4.5)) / 2) < 1e-12);
  });

  it('tokenizes roughly as spaCy does: lower case, clitics and punctuation split, numbers whole', () => {
    assert.deepEqual(spacyLikeTokens("Queen's Counsel (1,953), 3.90 ERA."), ['queen', "'s", 'counsel', '(', '1,953', ')', ',', '3.90', 'era', '.']);
  });
});

describe('sentence support', () => {
  const samples = [
    'Ada Lovelace was born in London in 1815. She worked with Charles Babbage.',
    'Ada Lovelace, born 1815 in London, was a mathematician.',
    'Born in London, Ada Lovelace wrote the first program.',
    'Ada Lovelace was an English mathematician born in London. She died in 1852.',
  ];

  it('ranks a sentence the samples repeat below one they never mention', () => {
    const [born, died] = sentenceRisks(['Ada Lovelace was born in London.', 'She died in Paris in 1901.'], samples);
    assert.ok(born!.risk < died!.risk, `${born!.risk} vs ${died!.risk}`);
    assert.ok(born!.risk >= 0 && died!.risk <= 1);
    for (const w of ['paris', '1901']) assert.ok(died!.weakestWords.includes(w), `${w} in ${died!.weakestWords}`);
    assert.deepEqual(born!.weakestWords, []);
  });

  it('gives a word that appears only beside other facts less support than one stated in context', () => {
    // "1852" is in a sample, but never next to "wrote" or "program".
    const [stated, moved] = sentenceRisks(['She died in 1852.', 'She wrote the program in 1852.'], samples);
    assert.ok(stated!.ownRisk < moved!.ownRisk, `${stated!.ownRisk} vs ${moved!.ownRisk}`);
  });

  it('scores a one-word answer by whether the samples say that word', () => {
    const [agreed] = sentenceRisks(['London.'], ['London.', 'London.', 'Paris.', 'London.']);
    const [rare] = sentenceRisks(['Paris.'], ['London.', 'London.', 'Paris.', 'London.']);
    // One sentence: risk = own risk = 0.95 · max + 0.05 · mean of the single word's missing share.
    assert.ok(Math.abs(agreed!.risk - 0.25) < 1e-12);
    assert.ok(Math.abs(rare!.risk - 0.75) < 1e-12);
  });

  it('drops stopwords and folds plurals and number words before matching', () => {
    assert.deepEqual(contentTokens('She won three awards in the studies'), ['won', '3', 'award', 'study']);
  });
});
