/**
 * `sampling-lab risk`: hallucination risk from a terminal, for people and CI.
 * - `risk "<prompt>"` (or --file / stdin, one question per line): a greedy main answer and N
 *   samples per question, scored with the model's own calibration when it has one (else the raw
 *   parts and the word "uncalibrated"); exits 1 when a risk is above --fail-above.
 * - `risk calibrate FILE.jsonl`: fits the model's calibration from labelled questions and stores
 *   it by model fingerprint in the cache folder, where `risk` finds it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  causalLmYesNo,
  collectCalibrationRows,
  semanticEvidence,
  type AgreementMethod,
  fitRiskCalibration,
  parseCalibrationSet,
  RISK_PARTS,
  scoreDraw,
  drawForRiskWith,
  type Calibration,
  type ConsistencyResult,
  type RiskDraw,
  type RiskParts,
  type RiskSettings,
} from '../core/consistency';
import type { Engine } from '../core/engine/types';
import { decodeEscapes } from '../core/decode/runInputs';
import type { CausalLM } from '../core/model/types';
import { CalibrationStore, cliCalibrationDir } from '../node/calibrationStore';
import { loadCliModel, openCliEngine } from './loadModel';
import { ggufFingerprint, modelFingerprint } from '../node/modelFingerprint';
import { checkGgufHeader, isGgufPath } from '../node/engines/llamacpp/llamaCppModel';
import { resolveModel } from '../node/modelFolder';
import { loadNliModel } from '../node/nliModel';
import { deviceFlag, integer, parseFlags, real } from './flags';
import { UsageError } from './usageError';
import { endpointArgs, ENDPOINT_OPTIONS, ENDPOINT_USAGE } from './endpoint';

export const RISK_USAGE = `Usage: sampling-lab risk [options] "<prompt>"
       sampling-lab risk [options] --file questions.txt     (one question per line)
       printf 'Q: …\\nA:\\n' | sampling-lab risk [options]     (one question per line)
       sampling-lab risk calibrate [options] labelled.jsonl

Hallucination risk by self-consistency: a greedy main answer and N samples of each question,
grouped by agreement and scored. With the model's own calibration (made by "risk calibrate")
the risk is P(wrong) with a Low / Medium / High band; without one it is the mean of the sample
parts, marked "uncalibrated" (another model's bands would mean nothing here).
In a question, a typed "\\n" is a line break.

Options:
  --samples N         samples per question (default: the calibration's, else 8)
  --temperature T     sampling temperature, > 0 (default: the calibration's, else 1)
  --seed N            base seed (default: the calibration's, else 42)
  --max-tokens N      new tokens per answer (default: the calibration's, else 32)
  --stop S            stop string (repeatable); "\\n" is a newline
  --fail-above X      exit 1 when any question's risk is above X (0 … 1)
  --uncalibrated      ignore the model's calibration and show the raw parts
  --agreement A       lexical (default), nli (needs --nli-model) or prompt (needs --judge-model)
  --nli-model DIR     an NLI cross-encoder exported to ONNX (DeBERTa-v3 MNLI): answers are
                      clustered by bidirectional entailment (semantic entropy) and sentences
                      checked SelfCheckGPT-NLI style
  --judge-model M     an instruct model (folder or bundled name) asked "Is the sentence
                      supported by the context above?" per sample (SelfCheckGPT-Prompt)
  --model M           bundled model name or a model folder (default facts-lm)
${ENDPOINT_USAGE}
                      (on a server: lexical agreement, uncalibrated)
  --device D          cpu or wasm (default cpu)
  --json              machine-readable output
  --file F            read questions from F, one per line
  -h, --help          this help

Calibrations live in ${cliCalibrationDir().replace(process.env.HOME ?? '\0', '~')} ($SAMPLING_LAB_CACHE moves it).
Exit status: 0, 1 when a risk is above --fail-above (or on an error), 2 on bad usage.`;

export const CALIBRATE_USAGE = `Usage: sampling-lab risk calibrate [options] labelled.jsonl

Fits the model's hallucination-risk calibration from labelled questions and stores it by the
model's fingerprint; "sampling-lab risk" uses it for that model from then on. One JSON object
per line:
  {"question": "Q: Where was Kawe Steiga born?\\nA:", "answers": ["Belcastro"]}
  {"question": "Q: Where was Jeizeiskra Mykeman born?\\nA:", "answerable": false}
An answer is wrong when it holds none of the "answers" (or the question is unanswerable).
Needs at least 5 wrong and 5 right answers; a few hundred questions give steady bands.
See examples/risk/calibration-template.jsonl and examples/risk/facts-lm.calibration.jsonl.

Options: --samples, --temperature, --seed, --max-tokens, --stop, --model, --device as for
"risk" (the risk check should use the same ones later), --json, -h/--help.`;

const SHARED = {
  samples: { type: 'string' },
  temperature: { type: 'string' },
  seed: { type: 'string' },
  'max-tokens': { type: 'string' },
  stop: { type: 'string', multiple: true },
  model: { type: 'string' },
  device: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface SharedValues {
  samples?: string;
  temperature?: string;
  seed?: string;
  'max-tokens'?: string;
  stop?: string[];
}

/** Flags over the calibration's own settings over the defaults: a check should sample as its calibration did. */
export function riskSettings(v: SharedValues, calibration?: Calibration): RiskSettings {
  const fitted = (calibration?.meta.settings ?? {}) as Partial<RiskSettings>;
  const temperature = real('--temperature', v.temperature) ?? fitted.temperature ?? 1;
  if (!(temperature > 0) || temperature > 5) throw new UsageError(`--temperature must be above 0 and at most 5 (got ${temperature}); at 0 every sample is the greedy answer.`);
  return {
    samples: integer('--samples', v.samples, fitted.samples ?? 8, 2, 64),
    temperature,
    seed: integer('--seed', v.seed, fitted.seed ?? 42, 0, 0xffffffff),
    maxNewTokens: integer('--max-tokens', v['max-tokens'], fitted.maxNewTokens ?? 32, 1, 4096),
    stopStrings: (v.stop ?? []).map(decodeEscapes),
  };
}

async function readLines(file: string | undefined): Promise<string[]> {
  let text: string;
  if (file !== undefined) {
    if (!fs.existsSync(file)) throw new UsageError(`--file: ${file} does not exist.`);
    text = fs.readFileSync(file, 'utf8');
  } else {
    if (process.stdin.isTTY) throw new UsageError(`No question given.\n\n${RISK_USAGE}`);
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '').map((l) => l.replace(/\\n/g, '\n'));
  if (lines.length === 0) throw new UsageError(`No questions in ${file ?? 'stdin'}: give one question per line.`);
  return lines;
}

/** The model's fingerprint and its calibration (undefined: uncalibrated). */
export function calibrationFor(model: string | undefined, store = new CalibrationStore(cliCalibrationDir())): { fingerprint: string; calibration?: Calibration } {
  // A GGUF file is checked first, so a wrong path is named as such rather than as a failed stat.
  const fingerprint = isGgufPath(model) ? (checkGgufHeader(model), ggufFingerprint(model)) : modelFingerprint(resolveModel(model));
  return { fingerprint, calibration: store.get(fingerprint) };
}

export async function risk(argv: string[]): Promise<number> {
  if (argv[0] === 'calibrate') return calibrate(argv.slice(1));
  const parsed = parseFlags(
    argv,
    {
      ...SHARED,
      'fail-above': { type: 'string' },
      uncalibrated: { type: 'boolean' },
      file: { type: 'string' },
      agreement: { type: 'string' },
      'nli-model': { type: 'string' },
      'judge-model': { type: 'string' },
      ...ENDPOINT_OPTIONS,
    },
    RISK_USAGE,
    { negatives: true },
  );
  const v = parsed.values;
  if (v.help) {
    console.log(RISK_USAGE);
    return 0;
  }
  const failAbove = real('--fail-above', v['fail-above']);
  if (failAbove !== undefined && (failAbove < 0 || failAbove > 1)) throw new UsageError(`--fail-above must be in [0, 1] (got ${failAbove}).`);
  if (parsed.positionals.length > 0 && v.file !== undefined) throw new UsageError('Give the question as an argument or with --file, not both.');
  const device = deviceFlag(v.device);
  const agreement = (v.agreement ?? 'lexical') as AgreementMethod;
  if (!['lexical', 'nli', 'prompt'].includes(agreement)) throw new UsageError(`--agreement must be lexical, nli or prompt (got "${v.agreement}").`);
  if (agreement === 'nli' && !v['nli-model']) throw new UsageError('--agreement nli needs --nli-model DIR: a folder with an ONNX export of an MNLI cross-encoder (config.json, tokenizer.json, onnx/model.onnx).');
  if (agreement === 'prompt' && !v['judge-model']) throw new UsageError('--agreement prompt needs --judge-model M: an instruct model folder (or the bundled name) to ask whether each sentence is supported.');
  const questions = parsed.positionals.length > 0 ? [parsed.positionals.join(' ').replace(/\\n/g, '\n')] : await readLines(v.file);
  const endpoint = endpointArgs(v);
  if (endpoint && agreement !== 'lexical') throw new UsageError(`--agreement ${agreement} runs a local model beside the checked one; with --endpoint use --agreement lexical.`);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  let engine: Engine | undefined;
  let nli: Awaited<ReturnType<typeof loadNliModel>> | undefined;
  let judgeModel: CausalLM | undefined;
  try {
    // Raw prompts, as the risk check always read them.
    engine = await openCliEngine({ model: v.model, device, dtype: 'auto', format: { chat: false }, endpoint }, v.json === true, abort.signal);
    const server = engine.capabilities.sampling === 'server';
    // A server's answers are scored uncalibrated: the stored bands were fitted on a local model's answers.
    const stored = server ? undefined : calibrationFor(v.model).calibration;
    const calibration = v.uncalibrated ? undefined : stored;
    const settings = riskSettings(v, calibration);
    nli = agreement === 'nli' ? await loadNliModel(v['nli-model']!) : undefined;
    // One transformers.js runtime per process: a judge other than the checked model loads on the same device.
    const checked = v['judge-model'] === (v.model ?? 'facts-lm') ? engine.causalLM : undefined;
    judgeModel = agreement === 'prompt' ? (checked ?? (await loadCliModel({ model: v['judge-model'], device, dtype: 'auto', format: { chat: false } }, true))) : undefined;
    const judge = judgeModel ? causalLmYesNo(judgeModel) : undefined;
    const on = engine;
    const results: Array<{ draw: RiskDraw; scored?: ConsistencyResult; error?: string }> = [];
    for (const q of questions) {
      if (abort.signal.aborted) break;
      const draw = await drawForRiskWith((p, strategies, options) => on.compare(p, strategies, options), q, settings, abort.signal);
      try {
        const evidence = await semanticEvidence({ nli, judge }, draw.main.text, draw.samples);
        results.push({ draw, scored: scoreDraw(draw, { calibration, ...evidence }) });
      } catch (e) {
        if ((e as Error).name !== 'ConsistencyError') throw e;
        results.push({ draw, error: (e as Error).message });
      }
      const shown = renderResult(results[results.length - 1]!, calibration, v.uncalibrated && stored !== undefined);
      if (!v.json) console.log(`${server ? `sampled by the server (${engine.where})\n` : ''}${shown}\n`);
    }
    if (v.json) {
      const where = server ? { where: engine.where } : {};
      console.log(JSON.stringify({ model: engine.model, ...where, settings, agreement, calibration: calibrationSummary(calibration), results: results.map(jsonResult) }, null, 2));
    }
    if (abort.signal.aborted) return 130;
    const above = failAbove === undefined ? [] : results.filter((r) => r.scored && r.scored.risk > failAbove);
    const unscored = results.filter((r) => r.error).length;
    if (!v.json && failAbove !== undefined) {
      console.log(above.length > 0 ? `${above.length} of ${results.length} questions have risk above ${failAbove}.` : `Every risk is at or below ${failAbove}.`);
    }
    return above.length > 0 || (failAbove !== undefined && unscored > 0) ? 1 : 0;
  } finally {
    process.off('SIGINT', onSigint);
    await nli?.dispose();
    if (judgeModel && judgeModel !== engine?.causalLM) await judgeModel.dispose();
    await engine?.dispose();
  }
}

const PART_NAMES: Record<keyof RiskParts, string> = {
  disagreement: 'disagreement',
  entropy: 'entropy',
  unbacked: 'unbacked',
  lowConfidence: 'low confidence',
  weakestToken: 'weakest token',
};

function calibrationSummary(c: Calibration | undefined): { model: string; fingerprint: string; fitted?: unknown } | null {
  return c ? { model: c.model.name, fingerprint: c.model.fingerprint, fitted: c.meta.fitted } : null;
}

export function renderResult(r: { draw: RiskDraw; scored?: ConsistencyResult; error?: string }, calibration: Calibration | undefined, ignored = false): string {
  const lines = [JSON.stringify(r.draw.prompt), `  answer    ${JSON.stringify(r.draw.main.text.trim())}`];
  if (!r.scored) return [...lines, `  not scored: ${r.error}`].join('\n');
  const s = r.scored;
  const level = calibration
    ? `${s.band}  (calibrated for ${calibration.model.name}${typeof calibration.meta.fitted === 'string' ? `, ${calibration.meta.fitted}` : ''})`
    : ignored
      ? 'uncalibrated  (--uncalibrated: the model\'s calibration is not used)'
      : 'uncalibrated  (no calibration for this model: sampling-lab risk calibrate FILE.jsonl makes one)';
  lines.push(
    `  risk      ${s.risk.toFixed(3)}  ${level}`,
    `  parts     ${RISK_PARTS.map((p) => `${PART_NAMES[p]} ${s.parts[p].toFixed(2)}`).join(' · ')}`,
    `  clusters  ${s.clusters.map((c, i) => `${c.size} × ${JSON.stringify(c.example)}${i === s.mainCluster ? ' (main)' : ''}`).join(', ')}`,
    `  why       ${s.explanation}`,
  );
  return lines.join('\n');
}

function jsonResult(r: { draw: RiskDraw; scored?: ConsistencyResult; error?: string }) {
  const s = r.scored;
  return {
    prompt: r.draw.prompt,
    answer: r.draw.main.text,
    ...(s
      ? {
          risk: s.risk,
          band: s.band,
          calibrated: s.calibrated,
          parts: s.parts,
          agreement: s.agreement,
          entropy: s.entropy,
          clusters: s.clusters,
          mainCluster: s.mainCluster,
          sentences: s.sentences,
          meanLogprob: Number.isFinite(s.meanLogprob) ? s.meanLogprob : null,
          minLogprob: Number.isFinite(s.minLogprob) ? s.minLogprob : null,
          explanation: s.explanation,
        }
      : { error: r.error }),
    samples: r.draw.samples,
    seeds: r.draw.seeds,
  };
}

async function calibrate(argv: string[]): Promise<number> {
  const parsed = parseFlags(argv, SHARED, CALIBRATE_USAGE, { negatives: true });
  const v = parsed.values;
  if (v.help) {
    console.log(CALIBRATE_USAGE);
    return 0;
  }
  if (parsed.positionals.length !== 1) throw new UsageError(`Give one labelled JSONL file (got ${parsed.positionals.length}).\n\n${CALIBRATE_USAGE}`);
  const file = parsed.positionals[0]!;
  if (!fs.existsSync(file)) throw new UsageError(`${file} does not exist.`);
  const questions = parseCalibrationSet(fs.readFileSync(file, 'utf8'), file);
  const device = deviceFlag(v.device);
  const settings = riskSettings(v);
  const location = resolveModel(v.model);
  const fingerprint = modelFingerprint(location);
  process.stderr.write(`Calibrating ${location.id} (${fingerprint}) on ${questions.length} questions: ${settings.samples} samples at T=${settings.temperature}…\n`);
  const model: CausalLM = await loadCliModel({ model: v.model, device, dtype: 'auto', format: { chat: false } }, true);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const rows = await collectCalibrationRows(model, questions, settings, {
      signal: abort.signal,
      onProgress: (done, total) => {
        if (done % 25 === 0 || done === total) process.stderr.write(`  ${done}/${total} questions\n`);
      },
      onSkip: (q, why) => process.stderr.write(`${file}:${q.line}: skipped: ${why}\n`),
    });
    if (abort.signal.aborted) {
      process.stderr.write('Stopped; nothing was stored.\n');
      return 130;
    }
    const calibration = fitRiskCalibration(rows, {
      model: { name: location.id, fingerprint },
      fitted: new Date().toISOString().slice(0, 10),
      source: `${path.basename(file)} (${questions.length} questions${rows.length < questions.length ? `, ${questions.length - rows.length} skipped` : ''}) via sampling-lab risk calibrate`,
      settings: { samples: settings.samples, temperature: settings.temperature, maxNewTokens: settings.maxNewTokens, seed: settings.seed },
    });
    const stored = new CalibrationStore(cliCalibrationDir()).save(calibration);
    if (v.json) console.log(JSON.stringify({ stored, calibration }, null, 2));
    else console.log(renderCalibration(calibration, stored));
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    await model.dispose();
  }
}

export function renderCalibration(c: Calibration, stored: string): string {
  const rows = c.meta.rows as { wrong: number; right: number };
  const aurocs = c.meta.aurocOnCalibrationSet as Record<string, number>;
  return [
    `Calibrated ${c.model.name} on ${rows.wrong + rows.right} questions (${rows.wrong} wrong, ${rows.right} right).`,
    '',
    'part            weight   AUROC alone',
    ...c.features.map((f, i) => `${PART_NAMES[f].padEnd(15)} ${c.weights[i]!.toFixed(3).padStart(7)}   ${aurocs[f]?.toFixed(3) ?? '–'}`),
    `combined                 ${aurocs.combined?.toFixed(3) ?? '–'}   (on the calibration questions themselves)`,
    '',
    `Bands: Low below ${c.bands.medium}, Medium from ${c.bands.medium}, High from ${c.bands.high}.`,
    `Stored in ${stored}; "sampling-lab risk" uses it for this model.`,
  ].join('\n');
}
