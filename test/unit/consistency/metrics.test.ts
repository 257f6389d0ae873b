import * as assert from 'node:assert/strict';
import {
  auroc,
  averagePrecision,
  averageRanks,
  pearson,
  prAucTrapezoid,
  precisionRecallAt,
  precisionRecallCurve,
  spearman,
} from '../../../src/core/consistency';

const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) < eps, `${a} ≠ ${b}`);

describe('AUROC', () => {
  it('is 1 for a perfect ranking, 0 for a reversed one and 0.5 when all scores tie', () => {
    assert.equal(auroc([0.9, 0.8, 0.2, 0.1], [true, true, false, false]), 1);
    assert.equal(auroc([0.1, 0.2, 0.8, 0.9], [true, true, false, false]), 0);
    assert.equal(auroc([0.5, 0.5, 0.5, 0.5], [true, false, true, false]), 0.5);
  });

  it('counts pairs by hand: 3 of 4 positive–negative pairs ordered right, ties as a half', () => {
    // positives 0.8, 0.4; negatives 0.6, 0.2 → pairs (0.8>0.6, 0.8>0.2, 0.4<0.6, 0.4>0.2) = 3/4.
    close(auroc([0.8, 0.4, 0.6, 0.2], [true, true, false, false]), 0.75);
    // positive 0.5 ties negative 0.5, beats 0.1 → (0.5 + 1) / 2.
    close(auroc([0.5, 0.5, 0.1], [true, false, false]), 0.75);
  });

  it('refuses labels of one class only, and mismatched lengths', () => {
    assert.throws(() => auroc([0.1, 0.2], [true, true]), /at least one positive and one negative/);
    assert.throws(() => auroc([0.1], [true, false]), /1 scores but 2 labels/);
  });
});

describe('precision–recall', () => {
  // Scores 0.9 (+), 0.8 (−), 0.7 (+), 0.6 (−): points (P, R) = (1, ½), (½, ½), (⅔, 1), (½, 1).
  const scores = [0.9, 0.8, 0.7, 0.6];
  const labels = [true, false, true, false];

  it('builds one curve point per distinct score, highest threshold first', () => {
    const pts = precisionRecallCurve(scores, labels);
    assert.deepEqual(pts.map((p) => p.threshold), [0.9, 0.8, 0.7, 0.6]);
    assert.deepEqual(pts.map((p) => p.recall), [0.5, 0.5, 1, 1]);
    close(pts[2]!.precision, 2 / 3);
  });

  it('average precision is the step sum Σ (Rₙ − Rₙ₋₁) Pₙ, as scikit-learn computes it', () => {
    // ½ · 1 + ½ · ⅔ = 5/6.
    close(averagePrecision(scores, labels), 5 / 6);
  });

  it('the trapezoidal AUC-PR (SelfCheckGPT) interpolates from (0, 1) through every point', () => {
    // ½·(1+1)/2 + 0 + ½·(½+⅔)/2 + 0 = ½ + 7/24 = 19/24.
    close(prAucTrapezoid(scores, labels), 19 / 24);
  });

  it('treats tied scores as one threshold', () => {
    const pts = precisionRecallCurve([0.5, 0.5, 0.1], [true, false, true]);
    assert.equal(pts.length, 2);
    close(pts[0]!.precision, 0.5);
    close(averagePrecision([0.5, 0.5, 0.1], [true, false, true]), 0.5 * 0.5 + 0.5 * (2 / 3));
  });

  it('gives precision and recall of a threshold rule', () => {
    assert.deepEqual(precisionRecallAt(scores, labels, 0.75), { precision: 0.5, recall: 0.5, predicted: 2 });
  });
});

describe('correlations', () => {
  it('Pearson is ±1 on exact lines and matches a hand computation', () => {
    close(pearson([1, 2, 3], [2, 4, 6]), 1);
    close(pearson([1, 2, 3], [3, 2, 1]), -1);
    // x = 1,2,3,4; y = 1,3,2,4: Σdxdy = 4, Σdx² = Σdy² = 5 → 0.8.
    close(pearson([1, 2, 3, 4], [1, 3, 2, 4]), 0.8);
  });

  it('Spearman ranks with average ranks for ties', () => {
    assert.deepEqual(averageRanks([10, 20, 20, 30]), [1, 2.5, 2.5, 4]);
    // A monotone but non-linear relation is a perfect rank correlation.
    close(spearman([1, 2, 3, 4], [1, 4, 9, 100]), 1);
    // ranks x = 1, 2.5, 2.5, 4; y = 1, 2, 3, 4 → Σdxdy = 4.5, Σdx² = 4.5, Σdy² = 5 → 4.5 / √22.5.
    close(spearman([1, 2, 2, 3], [1, 2, 3, 4]), 4.5 / Math.sqrt(22.5));
  });

  it('refuses a constant side, where correlation is undefined', () => {
    assert.throws(() => pearson([1, 1, 1], [1, 2, 3]), /constant/);
  });
});
