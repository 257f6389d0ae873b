import * as assert from 'node:assert/strict';
import { negLogSigmoid, outcomesOf, pairwiseLoss, summarizePreferences, winRates, type PreferenceRecord } from '../../../src/core/preferences';

/** A pair between two strategies, with the scorer's inputs. */
function pair(chosen: string, rejected: string, chosenMean: number | null = null, rejectedMean: number | null = null): PreferenceRecord {
  return {
    prompt: 'p',
    chosen: `by ${chosen}`,
    rejected: `by ${rejected}`,
    chosen_strategy: chosen,
    rejected_strategy: rejected,
    chosen_mean_logprob: chosenMean,
    rejected_mean_logprob: rejectedMean,
    chosen_sum_logprob: chosenMean === null ? null : chosenMean * 2,
    rejected_sum_logprob: rejectedMean === null ? null : rejectedMean * 4,
  };
}

describe('preference standings', () => {
  const records = [pair('greedy', 'top-p 0.9'), pair('greedy', 'top-p 0.9'), pair('top-p 0.9', 'greedy'), pair('min-p 0.1', 'greedy'), pair('greedy', 'greedy'), { prompt: 'p', chosen: 'c', rejected: 'r' }];

  it('count wins and losses per strategy, apart from same-strategy and unlabelled pairs', () => {
    const { outcomes, sameStrategy, unlabelled } = outcomesOf(records);
    assert.equal(sameStrategy, 1);
    assert.equal(unlabelled, 1);
    assert.deepEqual(winRates(outcomes), [
      { strategy: 'min-p 0.1', wins: 1, losses: 0, comparisons: 1, winRate: 1 },
      { strategy: 'greedy', wins: 2, losses: 2, comparisons: 4, winRate: 0.5 },
      { strategy: 'top-p 0.9', wins: 1, losses: 2, comparisons: 3, winRate: 1 / 3 },
    ]);
  });

  it('summarise win rates and Bradley–Terry strengths side by side, strongest first', () => {
    const s = summarizePreferences(records);
    assert.equal(s.records, 6);
    assert.deepEqual(s.standings.map((t) => t.strategy), ['min-p 0.1', 'greedy', 'top-p 0.9']);
    assert.ok(s.standings.every((t) => Number.isFinite(t.score) && t.weight > 0));
    assert.ok(Math.abs(s.standings.reduce((sum, t) => sum + t.weight, 0) - 1) < 1e-12);
    assert.equal(s.standings[1]!.comparisons, 4);
  });
});

describe('the pairwise loss of a scorer', () => {
  it('is −log σ(s_w − s_l): ln 2 at a tie, hand-computed elsewhere, and stable far out', () => {
    assert.ok(Math.abs(negLogSigmoid(0) - Math.LN2) < 1e-15);
    assert.ok(Math.abs(negLogSigmoid(2) - Math.log(1 + Math.exp(-2))) < 1e-15);
    assert.ok(Math.abs(negLogSigmoid(-1) - Math.log(1 + Math.E)) < 1e-15);
    assert.equal(negLogSigmoid(1000), 0);
    assert.equal(negLogSigmoid(-1000), 1000);
  });

  it('averages over the pairs with scores, by mean log-prob unless told otherwise', () => {
    // Differences s_w − s_l: 2, −1, 0; the last pair has no scores.
    const records = [pair('a', 'b', -0.5, -2.5), pair('a', 'b', -1.5, -0.5), pair('b', 'a', -1, -1), pair('a', 'b')];
    const loss = pairwiseLoss(records);
    const expected = (Math.log(1 + Math.exp(-2)) + Math.log(1 + Math.E) + Math.LN2) / 3;
    assert.equal(loss.scorer, 'mean_logprob');
    assert.equal(loss.pairs, 3);
    assert.equal(loss.skipped, 1);
    assert.ok(Math.abs(loss.meanLoss - expected) < 1e-12);
    assert.equal(loss.agreement, 0.5, 'one agreement, one disagreement, one tie counted half');
    // Sums (chosen ×2, rejected ×4): −1 vs −10, −3 vs −2, −2 vs −4: differences 9, −1, 2.
    const bySum = pairwiseLoss(records, 'sum_logprob');
    assert.ok(Math.abs(bySum.meanLoss - (negLogSigmoid(9) + negLogSigmoid(-1) + negLogSigmoid(2)) / 3) < 1e-12);
    assert.equal(bySum.agreement, 2 / 3);
  });

  it('says NaN rather than 0 when no pair has scores', () => {
    assert.ok(Number.isNaN(pairwiseLoss([pair('a', 'b')]).meanLoss));
  });
});
