/**
 * "Sampling Lab: Calibrate Hallucination Risk…": runs a labelled question file (JSONL, see
 * core/consistency/calibrationSet.ts) through the panel's model with the risk settings, fits the
 * model's calibration and stores it under the model's fingerprint; risk checks on that model use
 * it from then on. A selected endpoint is calibrated the same way on its server, from the host,
 * and stored by its server and model id. Cancellable; nothing is stored unless the fit completes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isGgufPath } from '../../node/engines/llamacpp/llamaCppModel';
import { resolveGguf } from '../engines/ggufEngines';
import {
  CalibrationSetError,
  fitRiskCalibration,
  isWrongAnswer,
  parseCalibrationSet,
  scoreConsistency,
  type Calibration,
  type LabelledParts,
} from '../../core/consistency';
import { riskSamplesKey, type CaseGeneration, type GenerationPlan } from '../../core/prompttest';
import { generateOnEngine } from '../../node/promptTestRunner';
import type { RunEngines } from '../engines/runEngines';
import { selectedEndpoint } from '../endpoints';
import { strategyFromSettings } from '../../core/decode/strategies';
import { abortSignalOf, linkedCancellation } from '../requests';
import { endpointCalibrationName, endpointFingerprint, type RiskCalibrations } from '../riskCalibrations';
import type { Runner } from '../runner';
import { readRiskSettings, readSettings } from '../settings';

export interface CalibrateRiskArgs {
  /** Skips the file picker (tests, scripts). */
  file?: string;
}

export interface CalibrateRiskDeps {
  runner: Runner;
  /** The engine the model setting names: the panel's model, or a selected endpoint's, calibrated on its server. */
  engines: RunEngines;
  calibrations: RiskCalibrations;
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
}

/** What an endpoint's calibration is fitted on, said where it is made and stored. */
export const ENDPOINT_CALIBRATION_NOTE =
  "The server sampled the answers and agreement is lexical; the fit holds for this server's model id (calibrate again if the model behind it changes).";

/** facts-lm's labelled set, shipped with the extension. */
export function bundledSetFile(extensionUri: vscode.Uri): string {
  return path.join(extensionUri.fsPath, 'examples', 'risk', 'facts-lm.calibration.jsonl');
}

async function pickFile(deps: CalibrateRiskDeps): Promise<string | undefined> {
  const bundled = bundledSetFile(deps.extensionUri);
  const choice = await vscode.window.showQuickPick(
    [
      { label: 'Choose a JSONL file…', detail: 'One question per line: {"question": "…", "answers": ["…"]} or {"question": "…", "answerable": false}', id: 'pick' },
      { label: "facts-lm's labelled set", detail: path.basename(bundled), id: 'bundled' },
      { label: 'Open the template', detail: 'A file to copy and fill in with your own questions', id: 'template' },
    ],
    { title: 'Calibrate Hallucination Risk: labelled questions', placeHolder: 'Questions with reference answers, or marked answerable / unanswerable' },
  );
  if (!choice) return undefined;
  if (choice.id === 'bundled') return bundled;
  if (choice.id === 'template') {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(deps.extensionUri.fsPath, 'examples', 'risk', 'calibration-template.jsonl')));
    await vscode.window.showTextDocument(doc);
    return undefined;
  }
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    filters: { 'Labelled questions (JSONL)': ['jsonl'] },
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    openLabel: 'Calibrate',
  });
  return picked?.[0]?.fsPath;
}

export async function calibrateRisk(deps: CalibrateRiskDeps, args: CalibrateRiskArgs = {}): Promise<Calibration | undefined> {
  const file = args.file ?? (await pickFile(deps));
  if (!file) return undefined;
  if (!fs.existsSync(file)) throw new CalibrationSetError(`${file} does not exist. Pick a JSONL file of labelled questions.`);
  const questions = parseCalibrationSet(fs.readFileSync(file, 'utf8'), path.basename(file));
  const settings = readSettings();
  const risk = readRiskSettings();
  // An endpoint (the user's own selection) is calibrated by its server and model id; a GGUF file by
  // its own fingerprint (as forModel finds it); a model folder by its files.
  const endpoint = selectedEndpoint(settings.model);
  const gguf = !endpoint && isGgufPath(settings.model) ? resolveGguf(settings.model) : undefined;
  const choice = endpoint || gguf ? undefined : deps.calibrations.choiceFor(settings.model);
  const model = endpoint
    ? { name: endpointCalibrationName(endpoint), fingerprint: endpointFingerprint(endpoint) }
    : gguf
      ? { name: gguf.name, fingerprint: gguf.fingerprint }
      : { name: choice!.name, fingerprint: deps.calibrations.fingerprintOf(choice!) };

  const calibration = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Calibrating hallucination risk for ${model.name}`, cancellable: true },
    (progress, cancel) =>
      deps.runner.runExclusive(async (_id, stop) => {
        const source = linkedCancellation(cancel, stop);
        const token = source.token;
        const abort = abortSignalOf(token);
        try {
        const engine = await deps.engines.open(settings.model, settings.device, token);
        if (endpoint) deps.log.info(`Calibration on endpoint ${endpoint.name} (${engine.where}): ${ENDPOINT_CALIBRATION_NOTE}`);
        const generate = async (plan: GenerationPlan): Promise<CaseGeneration> => {
          try {
            return await generateOnEngine(engine, plan, abort.signal);
          } catch (e) {
            if (token.isCancellationRequested) throw new vscode.CancellationError();
            throw e;
          }
        };
        const rows: LabelledParts[] = [];
        let skipped = 0;
        for (const [i, q] of questions.entries()) {
          if (token.isCancellationRequested) throw new vscode.CancellationError();
          const plan: GenerationPlan = {
            prompt: q.question,
            strategy: strategyFromSettings({ kind: 'greedy' }),
            runs: 1,
            seed: settings.options.seed,
            maxNewTokens: settings.options.maxNewTokens,
            stopStrings: [],
            risk: [{ samples: risk.samples, temperature: risk.temperature }],
          };
          const generation = await generate(plan);
          const main = generation.runs[0]!;
          try {
            const parts = scoreConsistency({ prompt: q.question, main: { text: main.text, tokenLogprobs: main.tokenLogprobs }, samples: generation.riskSamples[riskSamplesKey(plan.risk[0]!)] ?? [] }).parts;
            rows.push({ parts, wrong: isWrongAnswer(q, main.text) });
          } catch (e) {
            if ((e as Error).name !== 'ConsistencyError') throw e;
            skipped++;
            deps.log.warn(`Calibration: ${path.basename(file)}:${q.line} skipped: ${(e as Error).message}`);
          }
          progress.report({ message: `${i + 1} of ${questions.length} questions`, increment: 100 / questions.length });
        }
        return fitRiskCalibration(rows, {
          model,
          fitted: new Date().toISOString().slice(0, 10),
          source: `${path.basename(file)} (${questions.length} questions${skipped > 0 ? `, ${skipped} skipped` : ''}) via Calibrate Hallucination Risk${endpoint ? ` on endpoint ${endpoint.name} (${endpoint.baseUrl}): ${ENDPOINT_CALIBRATION_NOTE}` : ''}`,
          settings: { samples: risk.samples, temperature: risk.temperature, maxNewTokens: settings.options.maxNewTokens, seed: settings.options.seed },
        });
        } finally {
          abort.dispose();
          source.dispose();
        }
      }),
  );
  const stored = deps.calibrations.store.save(calibration);
  deps.log.info(`Risk calibration for ${model.name} (${model.fingerprint}) stored in ${stored}.`);
  const aurocs = calibration.meta.aurocOnCalibrationSet as Record<string, number>;
  const rows = calibration.meta.rows as { wrong: number; right: number };
  void vscode.window
    .showInformationMessage(
      `Calibrated hallucination risk for ${model.name} on ${rows.wrong + rows.right} questions (${rows.wrong} wrong): AUROC ${aurocs.combined?.toFixed(3)} on them. Risk checks on this model now show bands.${endpoint ? ` ${ENDPOINT_CALIBRATION_NOTE}` : ''}`,
      'Show Calibration',
    )
    .then((action) => (action ? vscode.window.showTextDocument(vscode.Uri.file(stored)) : undefined));
  return calibration;
}
