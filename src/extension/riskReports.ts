/**
 * Scores a finished run's answers for hallucination risk (core/consistency). The host does it,
 * once, when a run finishes: history, the response cache, the panel and the editor's diagnostics
 * then all read the same RiskReport.
 */
import { ConsistencyError, scoreConsistency, type Calibration, type ConsistencyResult } from '../core/consistency';
import type { CompareResult, StrategyResult } from '../core/decode/types';
import type { RiskReport, RunKind } from '../protocol/messages';

/**
 * - `risk`: strategy 0 is the greedy main answer, strategy 1 the N samples. A check that cannot
 *   be scored (an empty answer, an answer with no sentences) throws the core's ConsistencyError:
 *   the user asked for that score.
 * - `compare`: every card with several completions (samples > 1, or best-of-N) gets a report of
 *   its shown completion against all of them. A card that cannot be scored gets no badge.
 */
export function riskReports(kind: RunKind, result: CompareResult, calibration: Calibration | undefined): RiskReport[] {
  if (kind === 'risk') {
    const [main, samples] = result.results;
    if (!main || !samples) throw new ConsistencyError('The check needs a greedy answer and a set of samples; the run returned neither.');
    return [scoreAnswer(result.prompt, main, samples, 0, 1, calibration)];
  }
  const reports: RiskReport[] = [];
  result.results.forEach((r, i) => {
    if (r.completions.length < 2) return;
    try {
      reports.push(scoreAnswer(result.prompt, r, r, i, i, calibration));
    } catch (e) {
      if (!(e instanceof ConsistencyError)) throw e;
    }
  });
  return reports;
}

function scoreAnswer(
  prompt: string,
  main: StrategyResult,
  samples: StrategyResult,
  mainStrategy: number,
  samplesStrategy: number,
  calibration: Calibration | undefined,
): RiskReport {
  const answer = main.best.text;
  const scored = scoreConsistency({
    prompt,
    calibration,
    main: { text: answer, tokenLogprobs: main.best.tokens.map((t) => t.logprobRaw) },
    samples: samples.completions.map((c) => c.text),
  });
  return toReport(scored, answer, mainStrategy, samplesStrategy, calibration);
}

/** The wire form of a scored answer (what the panel, history and diagnostics read). */
export function toReport(r: ConsistencyResult, answer: string, mainStrategy: number, samplesStrategy: number, calibration?: Calibration): RiskReport {
  return {
    mainStrategy,
    samplesStrategy,
    answer,
    risk: r.risk,
    band: r.band,
    parts: r.parts,
    ...(calibration ? { calibration: { model: calibration.model.name, fitted: typeof calibration.meta.fitted === 'string' ? calibration.meta.fitted : undefined } } : {}),
    agreementMethod: 'lexical',
    explanation: r.explanation,
    samples: r.samples,
    agreement: r.agreement,
    majorityShare: r.majorityShare,
    entropy: r.entropy,
    mainCluster: r.mainCluster,
    clusters: r.clusters.map((c) => ({ size: c.size, example: c.example, members: c.members })),
    sentences: r.sentences.map((s) => ({ text: s.text, start: s.start, end: s.end, risk: s.risk, weakestWords: s.weakestWords })),
    meanLogprob: Number.isFinite(r.meanLogprob) ? r.meanLogprob : undefined,
    minLogprob: Number.isFinite(r.minLogprob) ? r.minLogprob : undefined,
  };
}
