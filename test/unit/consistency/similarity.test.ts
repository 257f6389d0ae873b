import * as assert from 'node:assert/strict';
import { lcsLength, rougeL, rougeLTokens, tokenF1, tokenF1Tokens } from '../../../src/core/consistency';

describe('lexical similarity', () => {
  it('token F1 is 1 for equal answers after normalisation and 0 for disjoint ones', () => {
    assert.equal(tokenF1('A: London.', 'london'), 1);
    assert.equal(tokenF1('London', 'Paris'), 0);
  });

  it('token F1 is the harmonic mean of shared-token precision and recall', () => {
    // "london" vs "london england": precision 1/2, recall 1 → 2/3.
    assert.ok(Math.abs(tokenF1('London', 'London, England') - 2 / 3) < 1e-12);
    // Multiset overlap: the second "a" is not shared.
    assert.equal(tokenF1Tokens(['a', 'a', 'b'], ['a', 'b', 'c']), 2 / 3);
  });

  it('ROUGE-L uses the longest common subsequence, so word order matters', () => {
    assert.equal(lcsLength(['a', 'b', 'c', 'd'], ['a', 'c', 'd']), 3);
    assert.equal(lcsLength(['x'], []), 0);
    // LCS of "born in paris 1950" and "1950 born in paris" is 3 of 4 on both sides.
    assert.equal(rougeLTokens(['born', 'in', 'paris', '1950'], ['1950', 'born', 'in', 'paris']), 0.75);
    assert.equal(tokenF1Tokens(['born', 'in', 'paris', '1950'], ['1950', 'born', 'in', 'paris']), 1);
    assert.equal(rougeL('Paris', 'Paris'), 1);
  });
});
