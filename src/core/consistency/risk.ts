/**
 * One hallucination-risk score in [0, 1] from three signals: answer-level agreement among the
 * samples, sentence-level support, and the model's confidence in its own main answer (the
 * Avg(−logP) baseline). The combination is a logistic regression whose weights, feature scaling
 * and band thresholds come from `calibration.json`, written by tools/eval/calibrate.ts; nothing
 * here is tuned by hand.
 */
import bundledCalibration from './calibration.json';

/** Every feature is oriented so that larger means riskier. */
export const RISK_FEATURES = [
  /** 1 − share of samples in the main answer's cluster. */
  'disagreement',
  /** 1 − majority share: how far the samples are from agreeing on any one answer. */
  'minority',
  /** Cluster entropy over its maximum, ln N. */
  'normalizedEntropy',
  /** Mean sentence risk of the main answer. */
  'sentenceRiskMean',
  /** Highest sentence risk of the main answer. */
  'sentenceRiskMax',
  /** −(mean token log-prob of the main answer): Avg(−logP). */
  'negMeanLogprob',
  /** −(lowest token log-prob of the main answer): Max(−logP). */
  'negMinLogprob',
] as const;

export type RiskFeatureName = (typeof RISK_FEATURES)[number];

/** Feature values; a missing one (a −∞ log-prob, say) counts as the calibration mean. */
export type RiskFeatures = Record<RiskFeatureName, number | undefined>;

export type RiskBand = 'Low' | 'Medium' | 'High';

export interface Calibration {
  /** How, when and on what the calibration was fitted. */
  meta: Record<string, unknown>;
  features: readonly RiskFeatureName[];
  /** Per-feature mean and standard deviation on the calibration data (z-scoring). */
  center: readonly number[];
  scale: readonly number[];
  /** Logistic weights on the z-scored features (all ≥ 0: more of any signal never lowers risk). */
  weights: readonly number[];
  bias: number;
  /** Band thresholds on the risk score: Low below `medium`, High at or above `high`. */
  bands: { medium: number; high: number };
}

export const DEFAULT_CALIBRATION = bundledCalibration as unknown as Calibration;

export class CalibrationError extends Error {
  override readonly name = 'CalibrationError';
}

/** Checks a calibration's shape, so a hand-edited or stale file fails with a clear message. */
export function checkCalibration(c: Calibration): Calibration {
  const n = c.features.length;
  const lengths = [c.center.length, c.scale.length, c.weights.length];
  if (lengths.some((l) => l !== n)) {
    throw new CalibrationError(`Calibration lists ${n} features but has ${lengths.join('/')} centers/scales/weights. Re-run tools/eval/calibrate.ts.`);
  }
  const unknown = c.features.filter((f) => !(RISK_FEATURES as readonly string[]).includes(f));
  if (unknown.length > 0) throw new CalibrationError(`Calibration uses unknown features: ${unknown.join(', ')}.`);
  if (!(c.bands.medium <= c.bands.high)) {
    throw new CalibrationError(`Calibration bands must have medium ≤ high (got ${c.bands.medium} and ${c.bands.high}).`);
  }
  return c;
}

/** The linear part before the sigmoid: bias + Σ wᵢ · (xᵢ − centerᵢ) / scaleᵢ. */
export function riskLogit(features: RiskFeatures, calibration: Calibration = DEFAULT_CALIBRATION): number {
  let z = calibration.bias;
  calibration.features.forEach((name, i) => {
    const x = features[name];
    if (x === undefined || !Number.isFinite(x)) return;
    z += calibration.weights[i]! * ((x - calibration.center[i]!) / (calibration.scale[i]! || 1));
  });
  return z;
}

/** Risk in [0, 1]: σ(logit). */
export function riskScore(features: RiskFeatures, calibration: Calibration = DEFAULT_CALIBRATION): number {
  return sigmoid(riskLogit(features, calibration));
}

export function riskBand(risk: number, calibration: Calibration = DEFAULT_CALIBRATION): RiskBand {
  if (risk >= calibration.bands.high) return 'High';
  if (risk >= calibration.bands.medium) return 'Medium';
  return 'Low';
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** What kind of thing a question asks for, for the explanation ("name a different city"). */
export function answerNoun(prompt: string | undefined): string | undefined {
  if (!prompt) return undefined;
  // The last question in the prompt is the one being answered.
  const questions = prompt.match(/[^?\n]*\?/g);
  const q = (questions?.[questions.length - 1] ?? prompt).toLowerCase();
  const which = /\b(?:which|what)\s+([a-z]+)\b/.exec(q);
  if (which && !['is', 'was', 'are', 'were', 'does', 'did', 'do', 'has', 'had'].includes(which[1]!)) return which[1];
  if (/\bbirthplace\b/.test(q) || /\bwhere\b.*\bborn\b/.test(q)) return 'birthplace';
  const possessive = /'s\s+([a-z]+)\s*\?/.exec(q);
  if (possessive) return possessive[1];
  if (/\bwhere\b/.test(q)) return 'place';
  if (/\bwhen\b/.test(q)) return 'date';
  if (/\bwho\b/.test(q)) return 'person';
  if (/\bhow (?:many|much)\b/.test(q)) return 'number';
  return undefined;
}

export interface ExplanationInput {
  samples: number;
  /** Samples in the main answer's cluster. */
  agreeing: number;
  /** How many distinct answers (clusters) the samples gave. */
  clusters: number;
  sentences: ReadonlyArray<{ text: string; risk: number; weakestWords: readonly string[] }>;
  band: RiskBand;
  /** The main answer's least likely token's log-prob. */
  minLogprob?: number;
  prompt?: string;
}

/**
 * One line a person can check against the samples: "5 of 8 samples name a different city",
 * or for a long answer, which sentences the samples do not back up.
 */
export function explainRisk(e: ExplanationInput): string {
  const disagree = e.samples - e.agreeing;
  if (e.sentences.length > 1) {
    const weak = e.sentences.filter((s) => s.risk >= 0.5);
    if (weak.length === 0) return `All ${e.sentences.length} sentences are backed by most of the ${e.samples} samples.`;
    const worst = [...weak].sort((a, b) => b.risk - a.risk)[0]!;
    const words = worst.weakestWords.length > 0 ? ` (${worst.weakestWords.map((w) => `"${w}"`).join(', ')})` : '';
    return `${weak.length} of ${e.sentences.length} sentences are not backed by most of the ${e.samples} samples; least backed: "${clip(worst.text)}"${words}.`;
  }
  if (disagree === 0) {
    if (e.band === 'Low' || e.minLogprob === undefined) return `All ${e.samples} samples agree with the main answer.`;
    // The samples agree, so the risk comes from the model's own confidence: say how much.
    return `All ${e.samples} samples agree with the main answer; the risk comes from the model's confidence in it ` +
      `(least likely token: log-prob ${e.minLogprob.toFixed(2)}, p = ${Math.exp(e.minLogprob).toFixed(2)}).`;
  }
  const noun = answerNoun(e.prompt);
  const what = noun ? `name a different ${noun}` : 'disagree with the main answer';
  const spread = e.clusters > 1 ? ` (${e.clusters} different answers in all)` : '';
  return `${disagree} of ${e.samples} samples ${what}${spread}.`;
}

function clip(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
