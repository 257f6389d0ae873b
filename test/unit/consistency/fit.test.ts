import * as assert from 'node:assert/strict';
import {
  CalibrationFitError,
  checkCalibration,
  CONFIDENCE_PARTS,
  fitLogistic,
  fitRiskCalibration,
  RISK_PARTS,
  SAMPLE_PARTS,
  type LabelledParts,
  type RiskParts,
} from '../../../src/core/consistency';

const parts = (p: Partial<RiskParts>): RiskParts => ({ disagreement: 0, entropy: 0, unbacked: 0, lowConfidence: 0, weakestToken: 0, ...p });
const weightOf = (w: number[], name: string) => w[RISK_PARTS.indexOf(name as (typeof RISK_PARTS)[number])]!;

describe('fitting a risk calibration (core/consistency/fit.ts)', () => {
  it('is deterministic and keeps every weight ≥ 0 even for a part that runs against the labels', () => {
    // disagreement tracks the label; entropy is anti-correlated with it by construction.
    const rows = [0, 0.1, 0.2, 0.3, 0.6, 0.7, 0.8, 0.9].map((d, i) => parts({ disagreement: d, entropy: 0.9 - d }));
    const labels = rows.map((_, i) => i >= 4);
    const a = fitLogistic(rows, labels);
    assert.deepEqual(a, fitLogistic(rows, labels));
    assert.ok(weightOf(a.weights, 'disagreement') > 0);
    assert.equal(weightOf(a.weights, 'entropy'), 0);
    assert.ok(a.weights.every((w) => w >= 0));
  });

  it('never lets the confidence parts outweigh the sample parts, even when confidence alone separates the labels', () => {
    // Confidence separates perfectly; the samples only half-agree with the labels.
    const rows: RiskParts[] = [];
    const labels: boolean[] = [];
    for (let i = 0; i < 40; i++) {
      const wrong = i % 2 === 0;
      rows.push(parts({ weakestToken: wrong ? 0.3 + (i % 7) / 20 : 0.01 + (i % 5) / 200, disagreement: i % 4 === 0 ? 0.5 : 0 }));
      labels.push(wrong);
    }
    const fit = fitLogistic(rows, labels, 0.0001);
    const confidence = CONFIDENCE_PARTS.reduce((s, p) => s + weightOf(fit.weights, p), 0);
    const samples = SAMPLE_PARTS.reduce((s, p) => s + weightOf(fit.weights, p), 0);
    assert.ok(confidence > 0, 'confidence carries weight');
    assert.ok(confidence <= samples + 1e-9, `confidence ${confidence} > samples ${samples}`);
  });

  it('refuses a set with fewer than 5 wrong or 5 right answers, saying which kind is short', () => {
    const rows: LabelledParts[] = Array.from({ length: 12 }, (_, i) => ({ parts: parts({ disagreement: i / 12 }), wrong: i < 3 }));
    assert.throws(
      () => fitRiskCalibration(rows, { model: { name: 'm', fingerprint: 'f' }, fitted: '2026-01-01', source: 'set.jsonl' }),
      (e: unknown) => e instanceof CalibrationFitError && /set\.jsonl gave 3 wrong and 9 right/.test(e.message),
    );
  });

  it('writes a calibration that checks, names its model, and reports each part\'s AUROC', () => {
    const rows: LabelledParts[] = Array.from({ length: 30 }, (_, i) => ({
      parts: parts({ disagreement: (i % 10) / 10, lowConfidence: ((i * 7) % 10) / 10 }),
      wrong: i % 10 >= 5,
    }));
    const c = checkCalibration(fitRiskCalibration(rows, { model: { name: 'tiny', fingerprint: 'sha256:abc' }, fitted: '2026-01-01', source: 'set.jsonl' }));
    assert.equal(c.model.fingerprint, 'sha256:abc');
    const aurocs = c.meta.aurocOnCalibrationSet as Record<string, number>;
    assert.equal(aurocs.disagreement, 1);
    assert.ok(aurocs.combined! >= 0.99);
  });
});
