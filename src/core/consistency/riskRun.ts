/**
 * One risk check on a model: the greedy main answer and N samples at temperature T of the same
 * prompt, decoded in one batch, then scored. What a check needs from an engine is only this:
 * N sampled texts and the main answer's token log-probs, so a remote engine that returns `n`
 * completions with log-probs can feed the same scoring and calibration.
 */
import { compareStrategies } from '../decode/compare';
import { strategyFromSettings } from '../decode/strategies';
import type { CausalLM } from '../model/types';
import type { CompareFn } from '../prompttest/generate';
import { isWrongAnswer, type LabelledQuestion } from './calibrationSet';
import type { LabelledParts } from './fit';
import { scoreConsistency, type ConsistencyInput, type ConsistencyResult } from './scoreConsistency';

export interface RiskSettings {
  /** N, the samples compared with the main answer (≥ 2). */
  samples: number;
  temperature: number;
  maxNewTokens: number;
  seed: number;
  stopStrings?: string[];
}

export const DEFAULT_RISK_SETTINGS: RiskSettings = { samples: 8, temperature: 1, maxNewTokens: 32, seed: 42 };

/** What the scoring reads: the main answer with its log-probs, and the samples' texts. */
export interface RiskDraw {
  prompt: string;
  main: { text: string; tokenLogprobs: number[] };
  samples: string[];
  /** Each sample's seed, as the decoder reports it. */
  seeds: number[];
}

export async function drawForRisk(model: CausalLM, prompt: string, settings: RiskSettings, signal?: AbortSignal): Promise<RiskDraw> {
  return drawForRiskWith((p, strategies, options) => compareStrategies(model, p, strategies, options), prompt, settings, signal);
}

/** The same draw through any engine's compare (a server samples the N answers with its own n). */
export async function drawForRiskWith(compare: CompareFn, prompt: string, settings: RiskSettings, signal?: AbortSignal): Promise<RiskDraw> {
  const r = await compare(
    prompt,
    [strategyFromSettings({ kind: 'greedy' }), strategyFromSettings({ kind: 'temperature', temperature: settings.temperature })],
    { maxNewTokens: settings.maxNewTokens, seed: settings.seed, samples: settings.samples, stopStrings: settings.stopStrings, signal },
  );
  if (r.refused && r.refused.length > 0) throw new Error(r.refused.map((x) => x.reason).join('; '));
  const main = r.results[0]!.best;
  const sampled = r.results[1]!.completions;
  return {
    prompt,
    main: { text: main.text, tokenLogprobs: main.tokens.map((t) => t.logprobRaw) },
    samples: sampled.map((c) => c.text),
    seeds: sampled.map((c) => c.seed),
  };
}

/** Scores a draw; everything but the draw (calibration, semantic clusters) comes from `extra`. */
export function scoreDraw(draw: RiskDraw, extra: Omit<ConsistencyInput, 'main' | 'samples' | 'prompt'> = {}): ConsistencyResult {
  return scoreConsistency({ ...extra, prompt: draw.prompt, main: draw.main, samples: draw.samples });
}

export interface CalibrationRow extends LabelledParts {
  question: LabelledQuestion;
  answer: string;
}

/**
 * Draws and scores every labelled question (uncalibrated: the fit needs the raw parts). A question
 * the check refuses (an empty answer, say) is reported through `onSkip` and left out.
 */
export async function collectCalibrationRows(
  model: CausalLM,
  questions: readonly LabelledQuestion[],
  settings: RiskSettings,
  hooks: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void; onSkip?: (q: LabelledQuestion, why: string) => void } = {},
): Promise<CalibrationRow[]> {
  const rows: CalibrationRow[] = [];
  for (const [i, question] of questions.entries()) {
    if (hooks.signal?.aborted) break;
    const draw = await drawForRisk(model, question.question, settings, hooks.signal);
    try {
      const scored = scoreDraw(draw);
      rows.push({ question, answer: draw.main.text, parts: scored.parts, wrong: isWrongAnswer(question, draw.main.text) });
    } catch (e) {
      if ((e as Error).name !== 'ConsistencyError') throw e;
      hooks.onSkip?.(question, (e as Error).message);
    }
    hooks.onProgress?.(i + 1, questions.length);
  }
  return rows;
}
