import * as assert from 'node:assert/strict';
import { bandThresholds, fitLogistic } from '../../../tools/eval/calibrate';
import { precisionRecallAt } from '../../../src/core/consistency';

describe('calibration fitting (tools/eval/calibrate.ts)', () => {
  // One informative feature, one pure noise feature that correlates negatively by chance.
  const rows = [
    [0.0, 0.9], [0.1, 0.8], [0.2, 0.7], [0.3, 0.1], [0.6, 0.2], [0.7, 0.1], [0.8, 0.0], [0.9, 0.3],
  ];
  const labels = [false, false, false, false, true, true, true, true];

  it('is deterministic and keeps every weight at or above zero', () => {
    const a = fitLogistic(rows, labels);
    const b = fitLogistic(rows, labels);
    assert.deepEqual(a, b);
    assert.ok(a.weights[0]! > 0);
    assert.equal(a.weights[1], 0);
  });

  it('sets High where precision reaches 90% with at most 1% of known flagged, and Medium by recall or the known 95th percentile', () => {
    // 100 known people at 0.00 … 0.99 (step 0.01), 20 unknown at 0.90 … 1.09 (step 0.01).
    const known = Array.from({ length: 100 }, (_, i) => i / 100);
    const unknown = Array.from({ length: 20 }, (_, i) => 0.9 + i / 100);
    const scores = [...known, ...unknown];
    const labels = [...known.map(() => false), ...unknown.map(() => true)];
    const { medium, high } = bandThresholds(scores, labels);
    // At most 1 of 100 known may be flagged: the cut falls between 0.98 and 0.99.
    assert.ok(Math.abs(high - 0.985) < 1e-9, `high ${high}`);
    const atHigh = precisionRecallAt(scores, labels, high);
    assert.ok(atHigh.precision >= 0.9);
    // Recall 95% needs 19 of 20 unknown (cut 0.905); 5% of known needs a cut at 0.945: the lower wins.
    assert.ok(Math.abs(medium - 0.905) < 1e-9, `medium ${medium}`);
    assert.ok(precisionRecallAt(scores, labels, medium).recall >= 0.95);
  });

  it('never puts Medium above High', () => {
    const { medium, high } = bandThresholds([0.9, 0.8, 0.2, 0.1], [true, true, false, false]);
    assert.ok(medium <= high);
  });
});
