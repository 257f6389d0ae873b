import { strict as assert } from 'node:assert';
import { DEFAULT_PENALTY_LAST_N, repetitionPenalty } from '../../../src/core/sampling/repetitionPenalty';
import { topK } from '../../../src/core/sampling/topK';
import { logitsById, setOf } from './fixtures';

const logitsOfSet = (c: ReturnType<typeof setOf>) => Array.from(c.logits.subarray(0, c.size));

describe('repetition penalty', () => {
  it('divides positive logits by the penalty and multiplies negative ones (CTRL rule)', () => {
    const c = setOf([2, -2, 0, 1]);
    repetitionPenalty(c, [0, 1, 2], 2);
    assert.deepEqual(logitsOfSet(c), [1, -4, 0, 1]);
  });

  it('penalises each repeated token once, however often it repeats', () => {
    const c = setOf([2, 1]);
    repetitionPenalty(c, [0, 0, 0, 0], 2);
    assert.deepEqual(logitsOfSet(c), [1, 1]);
  });

  it('only the last lastN tokens of the history count, prompt tokens included', () => {
    const c = setOf([1, 1, 1, 1]);
    // History = prompt [3, 2] + generated [0, 1]; the last 3 are 2, 0, 1.
    repetitionPenalty(c, [3, 2, 0, 1], 2, 3);
    assert.deepEqual(logitsOfSet(c), [0.5, 0.5, 0.5, 1]);
  });

  it(`looks at the last ${DEFAULT_PENALTY_LAST_N} tokens by default`, () => {
    const history = [0, ...new Array<number>(DEFAULT_PENALTY_LAST_N).fill(1)];
    const c = setOf([1, 1]);
    repetitionPenalty(c, history, 2);
    assert.deepEqual(logitsOfSet(c), [1, 0.5]);
  });

  it('lastN = 0 disables the penalty', () => {
    const c = setOf([1, -1]);
    repetitionPenalty(c, [0, 1], 2, 0);
    assert.deepEqual(logitsOfSet(c), [1, -1]);
  });

  it('a penalty below 1 makes repeats more likely', () => {
    const c = setOf([2, -2]);
    repetitionPenalty(c, [0, 1], 0.5);
    assert.deepEqual(logitsOfSet(c), [4, -1]);
  });

  it('ignores ids outside the vocabulary', () => {
    const c = setOf([1, 1]);
    repetitionPenalty(c, [-1, 2, 7, 1.5, 1], 2);
    assert.deepEqual(logitsOfSet(c), [1, 0.5]);
  });

  it('after a truncating stage, penalises the survivors by id', () => {
    const c = setOf([0.5, 3, 2, 1]);
    topK(c, 2);
    repetitionPenalty(c, [2, 0], 2);
    assert.deepEqual([...logitsById(c)].sort((a, b) => a[0] - b[0]), [
      [1, 3],
      [2, 1],
    ]);
  });

  it('successive calls do not leak marks from one history to the next', () => {
    const c = setOf([2, 2]);
    repetitionPenalty(c, [0], 2);
    repetitionPenalty(c, [1], 2);
    assert.deepEqual(logitsOfSet(c), [1, 1]);
  });
});
