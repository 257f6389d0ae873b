/**
 * Scores a finished run's answers for hallucination risk (core/consistency). The host does it,
 * once, when a run finishes: history, the response cache, the panel and the editor's diagnostics
 * then all read the same RiskReport.
 */
import { ConsistencyError, scoreConsistency, type ConsistencyResult } from '../core/consistency';
import type { CompareResult, StrategyResult } from '../core/decode/types';
import type { RiskReport, RunKind } from '../protocol/messages';

/**
 * - `risk`: strategy 0 is the greedy main answer, strategy 1 the N samples. A check that cannot
 *   be scored (an empty answer, an answer with no sentences) throws the core's ConsistencyError:
 *   the user asked for that score.
 * - `compare`: every card with several completions (samples > 1, or best-of-N) gets a report of
 *   its shown completion against all of them. A card that cannot be scored gets no badge.
 */
export function riskReports(kind: RunKind, result: CompareResult): RiskReport[] {
  if (kind === 'risk') {
    const [main, samples] = result.results;
    if (!main || !samples) throw new ConsistencyError('The check needs a greedy answer and a set of samples; the run returned neither.');
    return [scoreAnswer(result.prompt, main, samples, 0, 1)];
  }
  const reports: RiskReport[] = [];
  result.results.forEach((r, i) => {
    if (r.completions.length < 2) return;
    try {
      reports.push(scoreAnswer(result.prompt, r, r, i, i));
    } catch (e) {
      if (!(e instanceof ConsistencyError)) throw e;
    }
  });
  return reports;
}

function scoreAnswer(prompt: string, main: StrategyResult, samples: StrategyResult, mainStrategy: number, samplesStrategy: number): RiskReport {
  const answer = main.best.text;
  const scored = scoreConsistency({
    prompt,
    main: { text: answer, tokenLogprobs: main.best.tokens.map((t) => t.logprobRaw) },
    samples: samples.completions.map((c) => c.text),
  });
  return toReport(scored, answer, mainStrategy, samplesStrategy);
}

function toReport(r: ConsistencyResult, answer: string, mainStrategy: number, samplesStrategy: number): RiskReport {
  return {
    mainStrategy,
    samplesStrategy,
    answer,
    risk: r.risk,
    band: r.band,
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
