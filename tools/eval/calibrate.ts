/**
 * Fits the risk score's combination weights and band thresholds on the calibration half of the
 * bundled model's people (known vs held-out), and writes src/core/consistency/calibration.json.
 *
 * - Model: logistic regression on z-scored features, classes weighted to equal total weight (so
 *   the risk reads as P(unknown) under even odds), a ridge penalty chosen by cross-validation
 *   (`chooseRidge`), and every weight held
 *   ≥ 0 (projected gradient descent): each feature is oriented so larger = riskier, and the
 *   score must never fall when a signal of risk rises. Deterministic: fixed start, step and
 *   iteration count; the person split is seeded (facts.ts).
 * - Bands: see `bandThresholds` (High precision-targeted, Medium recall-targeted).
 *
 *   node -r ./test/support/register.cjs tools/eval/calibrate.ts [--fresh]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  auroc,
  checkCalibration,
  ConsistencyError,
  RISK_FEATURES,
  riskScore,
  scoreConsistency,
  type Calibration,
  type RiskFeatures,
} from '../../src/core/consistency';
import { DEFAULT_FACTS_SETTINGS, loadOrCollectFactsRuns, modelReady, seededShuffle, type FactsRun, type FactsRuns } from './facts';
import { REPO_ROOT } from './wikibio';

export const CALIBRATION_FILE = path.join(REPO_ROOT, 'src', 'core', 'consistency', 'calibration.json');
export const HIGH_PRECISION_TARGET = 0.9;
export const MEDIUM_RECALL_TARGET = 0.95;
export const HIGH_FALSE_ALARM_RATE = 0.01;
export const MEDIUM_FALSE_ALARM_RATE = 0.05;
/** Ridge strengths tried; the one with the best cross-validated log-loss on the calibration half is used. */
export const RIDGE_CANDIDATES = [1, 0.1, 0.01, 0.001, 0.0001] as const;
const FOLDS = 5;
const STEP = 0.5;
const ITERATIONS = 20_000;

/** The run's risk features, or undefined when the check refuses it (an empty main answer, say). */
export function featuresOf(run: FactsRun): RiskFeatures | undefined {
  try {
    return scoreConsistency({ main: run.main, samples: run.samples, prompt: run.prompt }).features;
  } catch (e) {
    if (e instanceof ConsistencyError) return undefined;
    throw e;
  }
}

export interface Fit {
  center: number[];
  scale: number[];
  weights: number[];
  bias: number;
}

/** Balanced, ridge-penalised, non-negative logistic regression by projected gradient descent. */
export function fitLogistic(rows: ReadonlyArray<ReadonlyArray<number | undefined>>, labels: readonly boolean[], ridge = 0.01): Fit {
  const d = rows[0]!.length;
  const center: number[] = [];
  const scale: number[] = [];
  for (let j = 0; j < d; j++) {
    const xs = rows.map((r) => r[j]).filter((v): v is number => v !== undefined && Number.isFinite(v));
    const m = xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
    const sd = xs.length > 0 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length) : 0;
    center.push(m);
    scale.push(sd > 1e-9 ? sd : 1);
  }
  // Missing values sit at the mean (z = 0), as riskLogit treats them.
  const z = rows.map((r) => r.map((v, j) => (v === undefined || !Number.isFinite(v) ? 0 : (v - center[j]!) / scale[j]!)));
  const positives = labels.filter(Boolean).length;
  const weightOf = (l: boolean) => labels.length / (2 * (l ? positives : labels.length - positives));
  const total = labels.reduce((s, l) => s + weightOf(l), 0);
  const w = new Array<number>(d).fill(0);
  let b = 0;
  for (let it = 0; it < ITERATIONS; it++) {
    const gw = new Array<number>(d).fill(0);
    let gb = 0;
    z.forEach((x, i) => {
      let logit = b;
      for (let j = 0; j < d; j++) logit += w[j]! * x[j]!;
      const p = 1 / (1 + Math.exp(-logit));
      const err = (p - (labels[i] ? 1 : 0)) * weightOf(labels[i]!);
      for (let j = 0; j < d; j++) gw[j]! += err * x[j]!;
      gb += err;
    });
    for (let j = 0; j < d; j++) w[j] = Math.max(0, w[j]! - STEP * (gw[j]! / total + ridge * w[j]!));
    b -= STEP * (gb / total);
  }
  return { center, scale, weights: w, bias: b };
}

/** P(unknown) of one row under a fit. */
function predict(fit: Fit, row: ReadonlyArray<number | undefined>): number {
  let z = fit.bias;
  row.forEach((v, j) => {
    if (v !== undefined && Number.isFinite(v)) z += fit.weights[j]! * ((v - fit.center[j]!) / fit.scale[j]!);
  });
  return 1 / (1 + Math.exp(-z));
}

/**
 * Picks the ridge strength by class-balanced log-loss over seeded k-fold cross-validation of the
 * calibration rows, so the risk reads as a calibrated probability rather than one squashed by an
 * arbitrary penalty (known and unknown people separate almost perfectly on this model).
 */
export function chooseRidge(
  rows: ReadonlyArray<ReadonlyArray<number | undefined>>,
  labels: readonly boolean[],
  seed: number,
): { ridge: number; logLoss: Record<string, number> } {
  const order = seededShuffle(rows.map((_, i) => i), seed);
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
      const fit = fitLogistic(train.map((i) => rows[i]!), train.map((i) => labels[i]!), ridge);
      rows.forEach((row, i) => {
        if (fold[i] !== f) return;
        const p = Math.min(1 - 1e-12, Math.max(1e-12, predict(fit, row)));
        loss -= weightOf(labels[i]!) * Math.log(labels[i] ? p : 1 - p);
        weight += weightOf(labels[i]!);
      });
    }
    logLoss[String(ridge)] = round(loss / weight);
    // Ties keep the stronger penalty (earlier in the list).
    if (loss / weight < bestLoss - 1e-9) {
      best = ridge;
      bestLoss = loss / weight;
    }
  }
  return { ridge: best, logLoss };
}

/**
 * Band cuts from calibration scores (labels: true = unknown person). Each cut sits halfway
 * between two neighbouring distinct scores, so the calibration points fall on the same side of it.
 * - High: the lowest cut at which ≥ 90% of flagged answers are unknown (precision) and ≤ 1% of
 *   known answers are flagged (false alarms); both must hold at that cut.
 * - Medium: the lower of (a) the highest cut that still flags ≥ 95% of unknown answers (recall)
 *   and (b) the cut above 95% of known answers; never above High. Low is below it: an answer
 *   scoring as low as the bulk of known answers.
 */
export function bandThresholds(scores: readonly number[], labels: readonly boolean[]): { medium: number; high: number } {
  const distinct = [...new Set(scores)].sort((a, b) => b - a);
  const positives = labels.filter(Boolean).length;
  const negatives = labels.length - positives;
  const cutBelow = (k: number) => (k + 1 < distinct.length ? (distinct[k]! + distinct[k + 1]!) / 2 : distinct[k]!);
  let high: number | undefined;
  let recallCut: number | undefined;
  let knownCut: number | undefined;
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < distinct.length; k++) {
    scores.forEach((s, i) => {
      if (s !== distinct[k]) return;
      if (labels[i]) tp++;
      else fp++;
    });
    if (tp / (tp + fp) >= HIGH_PRECISION_TARGET && fp <= HIGH_FALSE_ALARM_RATE * negatives) high = cutBelow(k);
    if (recallCut === undefined && tp >= MEDIUM_RECALL_TARGET * positives) recallCut = cutBelow(k);
    if (fp <= MEDIUM_FALSE_ALARM_RATE * negatives) knownCut = cutBelow(k);
  }
  const highCut = high ?? distinct[0]!;
  const medium = Math.min(recallCut ?? highCut, knownCut ?? highCut, highCut);
  return { medium: round(medium), high: round(highCut) };
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;

export function fitCalibration(data: FactsRuns): Calibration {
  const all = data.runs.filter((r) => r.half === 'calibration').map((run) => ({ run, features: featuresOf(run) }));
  const kept = all.filter((x): x is { run: FactsRun; features: RiskFeatures } => x.features !== undefined);
  const features = kept.map((x) => x.features);
  const labels = kept.map((x) => x.run.unknown);
  const rows = features.map((f) => RISK_FEATURES.map((name) => f[name]));
  const chosen = chooseRidge(rows, labels, data.settings.splitSeed);
  const fit = fitLogistic(rows, labels, chosen.ridge);
  const draft: Calibration = {
    meta: {},
    features: [...RISK_FEATURES],
    center: fit.center.map(round),
    scale: fit.scale.map(round),
    weights: fit.weights.map(round),
    bias: round(fit.bias),
    bands: { medium: 0, high: 1 },
  };
  const scores = features.map((f) => riskScore(f, draft));
  const bands = bandThresholds(scores, labels);
  const known = labels.filter((l) => !l).length;
  return checkCalibration({
    ...draft,
    bands,
    meta: {
      fitted: data.createdAt.slice(0, 10),
      by: 'tools/eval/calibrate.ts',
      method:
        `Logistic regression, P(unknown person), on z-scored features; balanced class weights; ridge ${chosen.ridge} (best ${FOLDS}-fold cross-validated log-loss of ${RIDGE_CANDIDATES.join(', ')}); weights constrained ≥ 0; ` +
        `projected gradient descent (${ITERATIONS} steps of ${STEP}). High = lowest cut with precision ≥ ${HIGH_PRECISION_TARGET} for unknown and ≤ ${100 * HIGH_FALSE_ALARM_RATE}% of known flagged; ` +
        `Medium = the lower of the highest cut with recall ≥ ${MEDIUM_RECALL_TARGET} for unknown and the cut above ${100 - 100 * MEDIUM_FALSE_ALARM_RATE}% of known; ` +
        'each cut halfway between neighbouring calibration scores.',
      data:
        `models/facts-lm (${data.model}), question "${data.questionTemplate.replace(/\n/g, '\\n')}", calibration half only: ` +
        `${known} known + ${labels.length - known} held-out people (seeded split ${data.settings.splitSeed}); ` +
        `${all.length - kept.length} skipped (the check refused the main answer); ` +
        `greedy main answer + ${data.settings.samples} samples at T=${data.settings.temperature}, seed ${data.settings.seed}, maxNewTokens ${data.settings.maxNewTokens}.`,
      crossValidatedLogLoss: chosen.logLoss,
      calibrationAuroc: round(auroc(scores, labels)),
    },
  });
}

async function main(): Promise<void> {
  const ready = modelReady();
  if (!ready.ready) {
    console.error(`Cannot calibrate: ${ready.why}.`);
    process.exit(2);
  }
  const data = await loadOrCollectFactsRuns(DEFAULT_FACTS_SETTINGS, process.argv.includes('--fresh'));
  const calibration = fitCalibration(data);
  fs.writeFileSync(CALIBRATION_FILE, JSON.stringify(calibration, null, 2) + '\n');
  console.log(`Wrote ${path.relative(REPO_ROOT, CALIBRATION_FILE)}:`);
  console.log(JSON.stringify(calibration, null, 2));
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
