/**
 * Does the risk score tell questions the bundled model can answer (known people) from ones it
 * cannot (held-out people)? Evaluated on the evaluation half of the people only; the committed
 * calibration was fitted on the other half (calibrate.ts).
 *
 *   node -r ./test/support/register.cjs tools/eval/known-vs-heldout.ts [--fresh]
 */
import {
  auroc,
  ConsistencyError,
  FACTS_LM_CALIBRATION,
  normalizeAnswer,
  precisionRecallAt,
  RISK_PARTS,
  scoreConsistency,
  uncalibratedScore,
  type Calibration,
  type ConsistencyResult,
  type RiskBand,
  type RiskPartName,
} from '../../src/core/consistency';
import { DEFAULT_FACTS_SETTINGS, loadOrCollectFactsRuns, modelReady, type FactsRuns } from './facts';

export interface KnownVsHeldoutReport {
  settings: FactsRuns['settings'];
  model: string;
  question: string;
  calibrationMeta: Record<string, unknown>;
  bands: Calibration['bands'];
  known: number;
  heldout: number;
  skipped: string[];
  greedyAccuracyKnown: number;
  auroc: Record<string, number>;
  high: { precision: number; recall: number; flagged: number };
  bandCounts: Record<RiskBand, { known: number; heldout: number }>;
  examples: string[];
  samplingMs: number;
}

export function evaluateKnownVsHeldout(data: FactsRuns, calibration: Calibration = FACTS_LM_CALIBRATION): KnownVsHeldoutReport {
  const evalRuns = data.runs.filter((r) => r.half === 'evaluation');
  const skipped: string[] = [];
  const scored: Array<{ unknown: boolean; result: ConsistencyResult; correct: boolean; name: string }> = [];
  for (const run of evalRuns) {
    try {
      const result = scoreConsistency({ main: run.main, samples: run.samples, prompt: run.prompt, calibration });
      scored.push({ unknown: run.unknown, result, correct: normalizeAnswer(run.main.text) === normalizeAnswer(run.truth), name: run.name });
    } catch (e) {
      if (!(e instanceof ConsistencyError)) throw e;
      skipped.push(`${run.name} (${run.unknown ? 'held-out' : 'known'}): ${e.message}`);
    }
  }
  const labels = scored.map((s) => s.unknown);
  const by = (f: (r: ConsistencyResult) => number) => auroc(scored.map((s) => f(s.result)), labels);
  const risks = scored.map((s) => s.result.risk);
  const high = precisionRecallAt(risks, labels, calibration.bands.high);
  const bandCounts: KnownVsHeldoutReport['bandCounts'] = { Low: { known: 0, heldout: 0 }, Medium: { known: 0, heldout: 0 }, High: { known: 0, heldout: 0 } };
  for (const s of scored) bandCounts[s.result.band as RiskBand][s.unknown ? 'heldout' : 'known']++;
  const known = scored.filter((s) => !s.unknown);
  const pick = (unknown: boolean) => scored.find((s) => s.unknown === unknown)!;
  const examples = [pick(false), pick(true)].map(
    (s) => `${s.unknown ? 'held-out' : 'known'} ${s.name}: main ${JSON.stringify(s.result.sentences.map((x) => x.text).join(' '))}, ` +
      `risk ${s.result.risk.toFixed(2)} (${s.result.band}): ${s.result.explanation}`,
  );
  return {
    settings: data.settings,
    model: data.model,
    question: data.questionTemplate,
    calibrationMeta: calibration.meta,
    bands: calibration.bands,
    known: known.length,
    heldout: scored.length - known.length,
    skipped,
    greedyAccuracyKnown: known.filter((s) => s.correct).length / Math.max(1, known.length),
    auroc: {
      'risk, calibrated (facts-lm\'s calibration: the combination)': auroc(risks, labels),
      'risk, uncalibrated (mean of the three sample parts)': by((r) => uncalibratedScore(r.parts)),
      ...Object.fromEntries(RISK_PARTS.map((p) => [`part alone: ${PART_LABELS[p]}`, by((r) => r.parts[p])])),
    },
    high: { precision: high.precision, recall: high.recall, flagged: high.predicted },
    bandCounts,
    examples,
    samplingMs: data.elapsedMs,
  };
}

export const PART_LABELS: Record<RiskPartName, string> = {
  disagreement: 'disagreement (share of samples not agreeing with the main answer)',
  entropy: 'cluster entropy (normalised)',
  unbacked: 'unbacked sentence (max sentence risk)',
  lowConfidence: 'low confidence (1 − geometric-mean token p)',
  weakestToken: 'weakest token (1 − min token p)',
};

const pct = (v: number) => (100 * v).toFixed(1);

export function formatKnownVsHeldout(r: KnownVsHeldoutReport): string {
  const s = r.settings;
  const lines = [
    `Model: \`${r.model}\` (models/facts-lm). Question: \`${r.question.replace(/\n/g, '\\n')}\`. Main answer: greedy; ` +
      `${s.samples} samples at T=${s.temperature} (one batch per question with the greedy row), maxNewTokens ${s.maxNewTokens}, stop at a newline, seed ${s.seed}.`,
    `Evaluation half only: ${r.known} known + ${r.heldout} held-out people (the other half, split with seed ${s.splitSeed}, fitted the calibration). ` +
      (r.skipped.length === 0 ? 'No rows skipped.' : `Skipped ${r.skipped.length}: ${r.skipped.join('; ')}.`),
    `Greedy accuracy on these known people: ${pct(r.greedyAccuracyKnown)}%.`,
    '',
    '| score | AUROC for "unknown person" |',
    '|---|---|',
    ...Object.entries(r.auroc).map(([k, v], i) => (i === 0 ? `| **${k}** | **${v.toFixed(3)}** |` : `| ${k} | ${v.toFixed(3)} |`)),
    '',
    `High band (risk ≥ ${r.bands.high}): precision ${pct(r.high.precision)}%, recall ${pct(r.high.recall)}% for unknown people (${r.high.flagged} flagged). ` +
      `Medium from risk ${r.bands.medium}.`,
    '',
    '| band | known | held-out |',
    '|---|---|---|',
    ...(['Low', 'Medium', 'High'] as const).map((b) => `| ${b} | ${r.bandCounts[b].known} | ${r.bandCounts[b].heldout} |`),
    '',
    'Examples:',
    ...r.examples.map((e) => `- ${e}`),
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const ready = modelReady();
  if (!ready.ready) {
    console.error(`Cannot run the known-vs-held-out evaluation: ${ready.why}.`);
    process.exit(2);
  }
  const data = await loadOrCollectFactsRuns(DEFAULT_FACTS_SETTINGS, process.argv.includes('--fresh'));
  console.log(formatKnownVsHeldout(evaluateKnownVsHeldout(data)));
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
