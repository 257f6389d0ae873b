import * as assert from 'node:assert/strict';
import { fitBradleyTerry, preferenceProbability, PreferenceError, type PairwiseOutcome } from '../../../src/core/preferences';

/** `count` outcomes of winner over loser. */
const beats = (winner: string, loser: string, count: number): PairwiseOutcome[] => Array.from({ length: count }, () => ({ winner, loser }));

describe('Bradley–Terry', () => {
  it('recovers strengths 4 : 2 : 1 from pairs whose win rates match them exactly (hand-computed)', () => {
    // With p = (4, 2, 1): P(A>B) = 4/6 = 2/3, P(B>C) = 2/3, P(A>C) = 4/5. Observed: 2–1, 2–1, 4–1.
    // The score equations Wᵢ = Σⱼ nᵢⱼ pᵢ/(pᵢ+pⱼ) hold: A 6 = 3·4/6 + 5·4/5; B 3 = 3·2/6 + 3·2/3; C 2 = 3·1/3 + 5·1/5.
    const outcomes = [...beats('A', 'B', 2), ...beats('B', 'A', 1), ...beats('B', 'C', 2), ...beats('C', 'B', 1), ...beats('A', 'C', 4), ...beats('C', 'A', 1)];
    const fit = fitBradleyTerry(outcomes, { prior: 0 });
    assert.equal(fit.converged, true);
    const by = Object.fromEntries(fit.strengths.map((s) => [s.strategy, s]));
    const mean = (Math.log(4) + Math.log(2) + Math.log(1)) / 3;
    for (const [name, p] of [['A', 4], ['B', 2], ['C', 1]] as const) {
      assert.ok(Math.abs(by[name]!.score - (Math.log(p) - mean)) < 1e-8, `${name}: ${by[name]!.score}`);
      assert.ok(Math.abs(by[name]!.weight - p / 7) < 1e-8);
    }
    assert.deepEqual(fit.strengths.map((s) => [s.strategy, s.wins, s.losses, s.comparisons]), [['A', 6, 2, 8], ['B', 3, 3, 6], ['C', 2, 6, 8]]);
    assert.ok(Math.abs(preferenceProbability(fit, 'A', 'C') - 0.8) < 1e-8);
  });

  it('shrinks toward equal strength by the prior: 3–1 with one virtual tie game gives odds 3.5 : 1.5', () => {
    const fit = fitBradleyTerry([...beats('top-p 0.9', 'greedy', 3), ...beats('greedy', 'top-p 0.9', 1)], { prior: 1 });
    const [first, second] = fit.strengths;
    assert.equal(first!.strategy, 'top-p 0.9');
    assert.ok(Math.abs(first!.score - second!.score - Math.log(3.5 / 1.5)) < 1e-9);
    assert.ok(Math.abs(first!.score + second!.score) < 1e-12, 'scores are centred');
  });

  it('keeps an undefeated strategy finite with the default prior, and refuses to fit it without one', () => {
    const outcomes = beats('A', 'B', 5);
    const fit = fitBradleyTerry(outcomes);
    assert.ok(fit.strengths.every((s) => Number.isFinite(s.score)));
    assert.ok(Math.abs(fit.strengths[0]!.score - fit.strengths[1]!.score - Math.log(5.5 / 0.5)) < 1e-9);
    assert.throws(() => fitBradleyTerry(outcomes, { prior: 0 }), (e: Error) => e instanceof PreferenceError && /never lost \(or never won\).*Use a prior > 0/.test(e.message));
  });

  it('ignores a strategy compared with itself, and gives the same fit whatever the order of the pairs', () => {
    const outcomes = [...beats('A', 'B', 3), ...beats('B', 'C', 2), ...beats('C', 'A', 1), ...beats('A', 'A', 4)];
    const fit = fitBradleyTerry(outcomes);
    assert.deepEqual(fitBradleyTerry([...outcomes].reverse()), fit);
    assert.equal(fit.strengths.find((s) => s.strategy === 'A')!.comparisons, 4);
  });

  it('gives one strategy (or none) a score of 0 without iterating', () => {
    assert.deepEqual(fitBradleyTerry([]).strengths, []);
    assert.deepEqual(fitBradleyTerry(beats('A', 'A', 2)).strengths, []);
  });
});
