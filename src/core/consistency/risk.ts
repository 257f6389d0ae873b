/**
 * One hallucination-risk score from its parts. Every part is a share in [0, 1] oriented so that
 * larger means riskier: three measure how much the N samples disagree with the main answer, two
 * measure how unsure the model was of the main answer's own tokens.
 *
 * - A *calibrated* model (a Calibration fitted on its own labelled questions, per model) gets
 *   σ(bias + Σ wᵢ·partᵢ) with every wᵢ ≥ 0, read as P(the answer is wrong) at even odds, and the
 *   fixed bands below. The fit (fit.ts) also holds the confidence parts' total weight at or
 *   below the sample parts' total: full disagreement of the samples always counts at least as
 *   much as a full loss of confidence, so the samples are never ignored.
 * - An *uncalibrated* model gets the mean of the three sample parts and no band: those parts are
 *   shares of samples, on the same scale on every model, while log-prob scales differ between
 *   models. The confidence parts are still reported, raw.
 */
import factsLmCalibration from './calibration.json';

/** The parts of the risk, each in [0, 1], larger = riskier. */
export const RISK_PARTS = [
  /** Share of samples that disagree with the main answer (not in its cluster). */
  'disagreement',
  /** Entropy over the samples' answer clusters over its maximum ln N (semantic entropy when clusters are by meaning). */
  'entropy',
  /** The least backed sentence of the main answer: share of samples that do not back it (SelfCheckGPT style). */
  'unbacked',
  /** 1 − the main answer's geometric-mean token probability, 1 − exp(mean log p). */
  'lowConfidence',
  /** 1 − the main answer's least likely token's probability, 1 − exp(min log p). */
  'weakestToken',
] as const;

export type RiskPartName = (typeof RISK_PARTS)[number];
export type RiskParts = Record<RiskPartName, number>;

/** Parts measured from the samples: the same scale on every model. */
export const SAMPLE_PARTS: readonly RiskPartName[] = ['disagreement', 'entropy', 'unbacked'];
/** Parts measured from the model's own token probabilities: their scale depends on the model. */
export const CONFIDENCE_PARTS: readonly RiskPartName[] = ['lowConfidence', 'weakestToken'];

export type RiskBand = 'Low' | 'Medium' | 'High';
/** A band, or 'uncalibrated' where no calibration exists for the model (never another model's bands). */
export type RiskLevel = RiskBand | 'uncalibrated';

/**
 * Band cuts on a calibrated risk, the same for every model because a calibrated risk is a
 * probability: High when the answer is more likely wrong than not by 7 to 3, Low below 3 in 10.
 */
export const RISK_BANDS = { medium: 0.3, high: 0.7 } as const;

export interface Calibration {
  /** Format version; 2 = parts in [0, 1], raw weights, model fingerprint. */
  version: 2;
  /** The model this was fitted for: its fingerprint decides where the calibration applies. */
  model: { name: string; fingerprint: string };
  /** How, when and on what it was fitted (file, rows, AUROC). */
  meta: Record<string, unknown>;
  features: readonly RiskPartName[];
  /** Logistic weights per unit of each part (all ≥ 0: more of any part never lowers risk). */
  weights: readonly number[];
  bias: number;
  bands: { medium: number; high: number };
}

/** facts-lm's calibration, shipped with the bundled model; used only when the model's fingerprint matches. */
export const FACTS_LM_CALIBRATION = factsLmCalibration as unknown as Calibration;

export class CalibrationError extends Error {
  override readonly name = 'CalibrationError';
}

/** Checks a calibration's shape, so a hand-edited, stale or foreign file fails with a clear message. */
export function checkCalibration(c: Calibration): Calibration {
  if (typeof c !== 'object' || c === null) throw new CalibrationError('A calibration must be a JSON object.');
  if (c.version !== 2) {
    throw new CalibrationError(`This calibration has format version ${JSON.stringify(c.version)}; version 2 is needed. Calibrate the model again.`);
  }
  if (typeof c.model?.fingerprint !== 'string' || c.model.fingerprint === '') throw new CalibrationError('The calibration names no model fingerprint. Calibrate the model again.');
  const n = c.features?.length ?? 0;
  if (!Array.isArray(c.features) || !Array.isArray(c.weights) || c.weights.length !== n) {
    throw new CalibrationError(`The calibration lists ${n} parts but ${c.weights?.length ?? 0} weights. Calibrate the model again.`);
  }
  const unknown = c.features.filter((f) => !(RISK_PARTS as readonly string[]).includes(f));
  if (unknown.length > 0) throw new CalibrationError(`The calibration uses unknown parts: ${unknown.join(', ')}. Calibrate the model again.`);
  if (c.weights.some((w) => typeof w !== 'number' || !Number.isFinite(w) || w < 0)) {
    throw new CalibrationError('Every calibration weight must be a finite number ≥ 0 (more disagreement or less confidence must never lower the risk).');
  }
  if (typeof c.bias !== 'number' || !Number.isFinite(c.bias)) throw new CalibrationError('The calibration bias must be a finite number.');
  if (!(c.bands?.medium <= c.bands?.high)) {
    throw new CalibrationError(`Calibration bands must have medium ≤ high (got ${c.bands?.medium} and ${c.bands?.high}).`);
  }
  return c;
}

/** The parts from the measurements they are made of. */
export function riskParts(m: {
  agreement: number;
  normalizedEntropy: number;
  sentenceRisks: readonly number[];
  meanLogprob: number;
  minLogprob: number;
}): RiskParts {
  return {
    disagreement: clamp01(1 - m.agreement),
    entropy: clamp01(m.normalizedEntropy),
    unbacked: clamp01(m.sentenceRisks.length > 0 ? Math.max(...m.sentenceRisks) : 0),
    // exp(−∞) = 0: a token the raw distribution gave no mass is no confidence at all.
    lowConfidence: clamp01(1 - Math.exp(m.meanLogprob)),
    weakestToken: clamp01(1 - Math.exp(m.minLogprob)),
  };
}

/** The linear part before the sigmoid: bias + Σ wᵢ · partᵢ. */
export function riskLogit(parts: RiskParts, calibration: Calibration): number {
  let z = calibration.bias;
  calibration.features.forEach((name, i) => {
    z += calibration.weights[i]! * parts[name];
  });
  return z;
}

/** Risk in [0, 1] under a calibration: σ(logit). */
export function riskScore(parts: RiskParts, calibration: Calibration): number {
  return sigmoid(riskLogit(parts, calibration));
}

/** Risk in [0, 1] without a calibration: the mean of the sample parts (not a probability). */
export function uncalibratedScore(parts: RiskParts): number {
  return SAMPLE_PARTS.reduce((s, p) => s + parts[p], 0) / SAMPLE_PARTS.length;
}

export function riskBand(risk: number, calibration: Calibration): RiskBand {
  if (risk >= calibration.bands.high) return 'High';
  if (risk >= calibration.bands.medium) return 'Medium';
  return 'Low';
}

/** The score and level for some parts: calibrated when a calibration is given, else 'uncalibrated'. */
export function assessRisk(parts: RiskParts, calibration: Calibration | undefined): { risk: number; band: RiskLevel } {
  if (!calibration) return { risk: uncalibratedScore(parts), band: 'uncalibrated' };
  const risk = riskScore(parts, calibration);
  return { risk, band: riskBand(risk, calibration) };
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

function clamp01(x: number): number {
  if (Number.isNaN(x)) return 1;
  return x < 0 ? 0 : x > 1 ? 1 : x;
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
  band: RiskLevel;
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
    if (e.band === 'Low' || e.band === 'uncalibrated' || e.minLogprob === undefined) return `All ${e.samples} samples agree with the main answer.`;
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
