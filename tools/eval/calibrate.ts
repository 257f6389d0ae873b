/**
 * Fits facts-lm's risk calibration on the calibration half of its people (known vs held-out),
 * with the same fit a user's calibration gets (src/core/consistency/fit.ts), and writes it to
 * src/core/consistency/calibration.json, keyed by the bundled model's fingerprint. Also writes
 * the same questions as a labelled set (examples/risk/facts-lm.calibration.jsonl), so
 * `sampling-lab risk calibrate` on that file refits it.
 *
 *   node -r ./test/support/register.cjs tools/eval/calibrate.ts [--fresh]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ConsistencyError,
  fitRiskCalibration,
  isWrongAnswer,
  scoreConsistency,
  type Calibration,
  type LabelledParts,
  type LabelledQuestion,
} from '../../src/core/consistency';
import { modelFingerprint } from '../../src/node/modelFingerprint';
import { resolveModel } from '../../src/node/modelFolder';
import { DEFAULT_FACTS_SETTINGS, loadOrCollectFactsRuns, modelReady, type FactsRun, type FactsRuns } from './facts';
import { REPO_ROOT } from './wikibio';

export const CALIBRATION_FILE = path.join(REPO_ROOT, 'src', 'core', 'consistency', 'calibration.json');
export const FACTS_SET_FILE = path.join(REPO_ROOT, 'examples', 'risk', 'facts-lm.calibration.jsonl');

/** A run as a labelled question: a known person's city is the reference; a held-out person cannot be answered. */
export function labelledQuestion(run: FactsRun, line = 0): LabelledQuestion {
  return run.unknown
    ? { line, question: run.prompt, answers: [], answerable: false }
    : { line, question: run.prompt, answers: [run.truth], answerable: true };
}

/** The run's parts and label, or undefined when the check refuses it (an empty main answer, say). */
export function labelledParts(run: FactsRun): LabelledParts | undefined {
  try {
    const parts = scoreConsistency({ main: run.main, samples: run.samples, prompt: run.prompt }).parts;
    return { parts, wrong: isWrongAnswer(labelledQuestion(run), run.main.text) };
  } catch (e) {
    if (e instanceof ConsistencyError) return undefined;
    throw e;
  }
}

export function fitFactsCalibration(data: FactsRuns): Calibration {
  const rows = data.runs.filter((r) => r.half === 'calibration').map(labelledParts).filter((r): r is LabelledParts => r !== undefined);
  const s = data.settings;
  return fitRiskCalibration(rows, {
    model: { name: 'facts-lm', fingerprint: modelFingerprint(resolveModel(undefined)) },
    fitted: data.createdAt.slice(0, 10),
    source: `${path.relative(REPO_ROOT, FACTS_SET_FILE)} (the calibration half of models/facts-lm's people, seeded split ${s.splitSeed}) via tools/eval/calibrate.ts`,
    seed: s.splitSeed,
    settings: { samples: s.samples, temperature: s.temperature, maxNewTokens: s.maxNewTokens, seed: s.seed },
  });
}

export function factsCalibrationSet(data: FactsRuns): string {
  return data.runs
    .filter((r) => r.half === 'calibration')
    .map((r) => JSON.stringify(r.unknown ? { question: r.prompt, answerable: false } : { question: r.prompt, answers: [r.truth] }))
    .join('\n') + '\n';
}

export function writeFactsCalibration(data: FactsRuns): Calibration {
  const calibration = fitFactsCalibration(data);
  fs.writeFileSync(CALIBRATION_FILE, JSON.stringify(calibration, null, 2) + '\n');
  fs.mkdirSync(path.dirname(FACTS_SET_FILE), { recursive: true });
  fs.writeFileSync(FACTS_SET_FILE, factsCalibrationSet(data));
  return calibration;
}

async function main(): Promise<void> {
  const ready = modelReady();
  if (!ready.ready) {
    console.error(`Cannot calibrate: ${ready.why}.`);
    process.exit(2);
  }
  const data = await loadOrCollectFactsRuns(DEFAULT_FACTS_SETTINGS, process.argv.includes('--fresh'));
  const calibration = writeFactsCalibration(data);
  console.log(`Wrote ${path.relative(REPO_ROOT, CALIBRATION_FILE)} and ${path.relative(REPO_ROOT, FACTS_SET_FILE)}:`);
  console.log(JSON.stringify(calibration, null, 2));
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
