/**
 * Fits a model's risk calibration from labelled questions: a logistic regression of "the answer
 * is wrong" on the risk parts, with every weight ≥ 0 and the confidence parts' total weight held
 * at or below the sample parts' total (risk.ts says why). Deterministic: fixed start, step and
 * iteration count, seeded folds.
 */
import { createRng } from '../sampling/rng';
import { auroc } from './metrics';
import { CONFIDENCE_PARTS, RISK_BANDS, RISK_PARTS, riskScore, SAMPLE_PARTS, type Calibration, type RiskPartName, type RiskParts } from './risk';

/** One labelled question: its parts and whether the model's answer was wrong (or the question unanswerable). */
export interface LabelledParts {
  parts: RiskParts;
  wrong: boolean;
}

/** Ridge strengths tried; the one with the best cross-validated log-loss is used. */
export const RIDGE_CANDIDATES = [1, 0.1, 0.01, 0.001, 0.0001] as const;
export const MIN_PER_CLASS = 5;
const FOLDS = 5;
const STEP = 0.5;
const ITERATIONS = 8_000;

export interface LogisticFit {
  /** Weights per unit of each raw part, in RISK_PARTS order; all ≥ 0. */
  weights: number[];
  bias: number;
}

/**
 * Balanced, ridge-penalised logistic regression by projected gradient descent. It runs on
 * z-scored parts (so one step size suits every part) and projects after each step onto the
 * allowed set in raw units: every weight ≥ 0, and Σ confidence weights ≤ Σ sample weights.
 */
export function fitLogistic(rows: readonly RiskParts[], labels: readonly boolean[], ridge = 0.01): LogisticFit {
  const names = RISK_PARTS;
  const d = names.length;
  const x = rows.map((r) => names.map((n) => r[n]));
  const center = names.map((_, j) => mean(x.map((r) => r[j]!)));
  const scale = names.map((_, j) => {
    const sd = Math.sqrt(mean(x.map((r) => (r[j]! - center[j]!) ** 2)));
    return sd > 1e-9 ? sd : 1;
  });
  const z = x.map((r) => r.map((v, j) => (v - center[j]!) / scale[j]!));
  const positives = labels.filter(Boolean).length;
  const weightOf = (l: boolean) => labels.length / (2 * (l ? positives : labels.length - positives));
  const total = labels.reduce((s, l) => s + weightOf(l), 0);
  // The constraint Σ_conf w_raw − Σ_sample w_raw ≤ 0 is a·w ≤ 0 in z-units, with w_raw = w_z / scale.
  const a = names.map((n, j) => (CONFIDENCE_PARTS.includes(n) ? 1 : SAMPLE_PARTS.includes(n) ? -1 : 0) / scale[j]!);
  const aa = a.reduce((s, v) => s + v * v, 0);
  const w = new Array<number>(d).fill(0);
  let b = 0;
  const gw = new Array<number>(d);
  for (let it = 0; it < ITERATIONS; it++) {
    gw.fill(0);
    let gb = 0;
    for (let i = 0; i < z.length; i++) {
      const row = z[i]!;
      let logit = b;
      for (let j = 0; j < d; j++) logit += w[j]! * row[j]!;
      const err = (1 / (1 + Math.exp(-logit)) - (labels[i] ? 1 : 0)) * weightOf(labels[i]!);
      for (let j = 0; j < d; j++) gw[j]! += err * row[j]!;
      gb += err;
    }
    for (let j = 0; j < d; j++) w[j] = w[j]! - STEP * (gw[j]! / total + ridge * w[j]!);
    b -= STEP * (gb / total);
    project(w, a, aa);
  }
  const weights = w.map((wz, j) => wz / scale[j]!);
  const bias = b - w.reduce((s, wz, j) => s + (wz * center[j]!) / scale[j]!, 0);
  return { weights, bias };
}

/** Alternating projections onto {w ≥ 0} and {a·w ≤ 0}; a few rounds land within rounding of both. */
function project(w: number[], a: readonly number[], aa: number): void {
  for (let round = 0; round < 20; round++) {
    for (let j = 0; j < w.length; j++) if (w[j]! < 0) w[j] = 0;
    const dot = w.reduce((s, v, j) => s + v * a[j]!, 0);
    if (dot <= 1e-12) return;
    for (let j = 0; j < w.length; j++) w[j] = w[j]! - (dot / aa) * a[j]!;
  }
  for (let j = 0; j < w.length; j++) if (w[j]! < 0) w[j] = 0;
}

function predict(fit: LogisticFit, row: RiskParts): number {
  let z = fit.bias;
  RISK_PARTS.forEach((n, j) => (z += fit.weights[j]! * row[n]));
  return 1 / (1 + Math.exp(-z));
}

/** Class-balanced log-loss over seeded k-fold cross-validation, per ridge strength; the best one wins (ties keep the stronger). */
export function chooseRidge(rows: readonly RiskParts[], labels: readonly boolean[], seed: number): { ridge: number; logLoss: Record<string, number> } {
  const order = shuffle(rows.map((_, i) => i), seed);
  const fold = new Array<number>(rows.length);
  order.forEach((row, k) => (fold[row] = k % FOLDS));
  const positives = labels.filter(Boolean).length;
  const weightOf = (l: boolean) => labels.length / (2 * (l ? positives : labels.length - positives));
  const logLoss: Record<string, number> = {};
  let best: number = RIDGE_CANDIDATES[0];
  let bestLoss = Infinity;
  for (const ridge of RIDGE_CANDIDATES) {
    let loss = 0;
    let weight = 0;
    for (let f = 0; f < FOLDS; f++) {
      const train = rows.map((_, i) => i).filter((i) => fold[i] !== f);
      const trainLabels = train.map((i) => labels[i]!);
      // A fold without both classes cannot be fitted; it is left out of the comparison.
      if (trainLabels.every((l) => l) || trainLabels.every((l) => !l)) continue;
      const fit = fitLogistic(train.map((i) => rows[i]!), trainLabels, ridge);
      rows.forEach((row, i) => {
        if (fold[i] !== f) return;
        const p = Math.min(1 - 1e-12, Math.max(1e-12, predict(fit, row)));
        loss -= weightOf(labels[i]!) * Math.log(labels[i] ? p : 1 - p);
        weight += weightOf(labels[i]!);
      });
    }
    const l = weight > 0 ? loss / weight : Infinity;
    logLoss[String(ridge)] = round(l);
    if (l < bestLoss - 1e-9) {
      best = ridge;
      bestLoss = l;
    }
  }
  return { ridge: best, logLoss };
}

export class CalibrationFitError extends Error {
  override readonly name = 'CalibrationFitError';
}

/** AUROC of each part alone and of a score, for the fit's report; undefined where it cannot be computed. */
export function partAurocs(rows: readonly LabelledParts[], score?: (p: RiskParts) => number): Record<string, number> {
  const labels = rows.map((r) => r.wrong);
  const out: Record<string, number> = {};
  for (const name of RISK_PARTS) out[name] = round(auroc(rows.map((r) => r.parts[name]), labels));
  if (score) out.combined = round(auroc(rows.map((r) => score(r.parts)), labels));
  return out;
}

/**
 * The calibration for one model from its labelled rows. Needs at least MIN_PER_CLASS wrong and
 * MIN_PER_CLASS right answers: with fewer, no fit says anything.
 */
export function fitRiskCalibration(
  rows: readonly LabelledParts[],
  context: { model: { name: string; fingerprint: string }; fitted: string; source: string; seed?: number; settings?: Record<string, unknown> },
): Calibration {
  const wrong = rows.filter((r) => r.wrong).length;
  const right = rows.length - wrong;
  if (wrong < MIN_PER_CLASS || right < MIN_PER_CLASS) {
    throw new CalibrationFitError(
      `Calibration needs at least ${MIN_PER_CLASS} questions the model gets wrong (or that cannot be answered) and ${MIN_PER_CLASS} it gets right; ` +
        `${context.source} gave ${wrong} wrong and ${right} right. Add questions of the kind that is short.`,
    );
  }
  const parts = rows.map((r) => r.parts);
  const labels = rows.map((r) => r.wrong);
  const chosen = chooseRidge(parts, labels, context.seed ?? 2024);
  const fit = fitLogistic(parts, labels, chosen.ridge);
  const calibration: Calibration = {
    version: 2,
    model: context.model,
    meta: {},
    features: [...RISK_PARTS],
    weights: fit.weights.map(round),
    bias: round(fit.bias),
    bands: { ...RISK_BANDS },
  };
  calibration.meta = {
    fitted: context.fitted,
    source: context.source,
    rows: { wrong, right },
    method:
      `Logistic regression of "wrong" on the parts in [0, 1]; classes weighted equally; ridge ${chosen.ridge} (best ${FOLDS}-fold cross-validated log-loss of ${RIDGE_CANDIDATES.join(', ')}); ` +
      `weights ≥ 0 and Σ confidence weights ≤ Σ sample weights; projected gradient descent (${ITERATIONS} steps of ${STEP}). Bands: Medium from ${RISK_BANDS.medium}, High from ${RISK_BANDS.high}.`,
    crossValidatedLogLoss: chosen.logLoss,
    aurocOnCalibrationSet: partAurocs(rows, (p) => riskScore(p, calibration)),
    ...(context.settings ? { settings: context.settings } : {}),
  };
  return calibration;
}

/** A seeded Fisher–Yates shuffle (a copy). */
export function shuffle<T>(items: readonly T[], seed: number): T[] {
  const rng = createRng(seed);
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

function mean(xs: readonly number[]): number {
  return xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;

export type { RiskPartName };
