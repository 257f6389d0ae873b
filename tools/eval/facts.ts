/**
 * Self-consistency runs on the bundled model (models/facts-lm): for each known person (in the
 * training data) and held-out person (never seen), the canonical birth-city question, a greedy
 * main answer and N samples at temperature T, all decoded in one batch per question. Calibration
 * (calibrate.ts) and evaluation (known-vs-heldout.ts) read the same runs, split by person.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CausalLM } from '../../src/core/model/types';
import { drawForRisk, shuffle } from '../../src/core/consistency';
import { loadNodeModel } from '../../src/node/loadNodeModel';
import { REPO_ROOT } from './wikibio';

export const MODEL_DIR = path.join(REPO_ROOT, 'models', 'facts-lm');
/** Runs are cached here (git-ignored) so calibration and evaluation reuse one sampling pass. */
export const RUNS_FILE = path.join(REPO_ROOT, 'test-results', 'eval', 'facts-runs.json');

export interface Person {
  name: string;
  city: string;
  profession: string;
  born: number;
}

export interface FactsSettings {
  /** Samples per question (N). */
  samples: number;
  temperature: number;
  maxNewTokens: number;
  /** Base seed of the samples: sample i of a question uses sequenceSeed(seed, prompt, i) (core/sampling/rng.ts). */
  seed: number;
  /** The per-sample seed rule the runs were drawn with, so runs cached under an older rule are drawn again. */
  seedRule: 'sequenceSeed';
  /** Seed of the person split into calibration and evaluation halves. */
  splitSeed: number;
}

export const DEFAULT_FACTS_SETTINGS: FactsSettings = { samples: 8, temperature: 1, maxNewTokens: 12, seed: 1234, splitSeed: 2024, seedRule: 'sequenceSeed' };

export interface FactsRun {
  name: string;
  /** true for a held-out person: the model cannot know the answer. */
  unknown: boolean;
  /** 'calibration' or 'evaluation' half. */
  half: 'calibration' | 'evaluation';
  prompt: string;
  truth: string;
  main: { text: string; tokenLogprobs: number[] };
  samples: string[];
}

export interface FactsRuns {
  settings: FactsSettings;
  model: string;
  questionTemplate: string;
  createdAt: string;
  elapsedMs: number;
  runs: FactsRun[];
}

export function modelReady(): { ready: boolean; why?: string } {
  for (const f of ['config.json', 'tokenizer.json', path.join('onnx', 'model.onnx'), path.join('world', 'known.json'), path.join('world', 'heldout.json')]) {
    if (!fs.existsSync(path.join(MODEL_DIR, f))) return { ready: false, why: `models/facts-lm/${f} is missing (the model is not built yet)` };
  }
  if (!fs.existsSync(path.join(REPO_ROOT, 'src', 'core', 'sampling', 'chain.ts'))) {
    return { ready: false, why: 'src/core/sampling/chain.ts is missing (the sampler chain has not landed yet)' };
  }
  return { ready: true };
}

export function readWorld(which: 'known' | 'heldout'): Person[] {
  return JSON.parse(fs.readFileSync(path.join(MODEL_DIR, 'world', `${which}.json`), 'utf8')) as Person[];
}

/** The canonical birth-city question from the model's formats.json (the single source of its prompts). */
export function cityQuestionTemplate(): string {
  const file = path.join(MODEL_DIR, 'world', 'formats.json');
  if (fs.existsSync(file)) {
    const formats = JSON.parse(fs.readFileSync(file, 'utf8')) as { questions?: Record<string, Array<{ id: string; prompt: string }>> };
    const q = formats.questions?.city?.find((c) => c.id === 'city_where');
    if (q) return q.prompt;
  }
  return 'Q: Where was {name} born?\nA:';
}

/** The first half of a seeded shuffle calibrates, the second evaluates. */
export function splitHalves<T>(items: readonly T[], seed: number): { calibration: T[]; evaluation: T[] } {
  const a = shuffle(items, seed);
  const cut = Math.floor(a.length / 2);
  return { calibration: a.slice(0, cut), evaluation: a.slice(cut) };
}

export async function collectFactsRuns(
  model: CausalLM,
  settings: FactsSettings = DEFAULT_FACTS_SETTINGS,
  onProgress?: (done: number, total: number) => void,
): Promise<FactsRuns> {
  const started = Date.now();
  const template = cityQuestionTemplate();
  const people: Array<{ person: Person; unknown: boolean; half: FactsRun['half'] }> = [];
  for (const [which, unknown] of [['known', false], ['heldout', true]] as const) {
    const halves = splitHalves(readWorld(which), settings.splitSeed + (unknown ? 1 : 0));
    for (const half of ['calibration', 'evaluation'] as const) for (const person of halves[half]) people.push({ person, unknown, half });
  }
  const runs: FactsRun[] = [];
  for (const { person, unknown, half } of people) {
    const prompt = template.split('{name}').join(person.name);
    const draw = await drawForRisk(model, prompt, {
      samples: settings.samples,
      temperature: settings.temperature,
      maxNewTokens: settings.maxNewTokens,
      seed: settings.seed,
      stopStrings: ['\n'],
    });
    runs.push({ name: person.name, unknown, half, prompt, truth: person.city, main: draw.main, samples: draw.samples });
    onProgress?.(runs.length, people.length);
  }
  return { settings, model: model.name, questionTemplate: template, createdAt: new Date().toISOString(), elapsedMs: Date.now() - started, runs };
}

/** Cached runs when their settings match, else a fresh pass (which is then cached). */
export async function loadOrCollectFactsRuns(settings: FactsSettings = DEFAULT_FACTS_SETTINGS, fresh = false): Promise<FactsRuns> {
  if (!fresh && fs.existsSync(RUNS_FILE)) {
    const cached = JSON.parse(fs.readFileSync(RUNS_FILE, 'utf8')) as FactsRuns;
    const modelTime = fs.statSync(path.join(MODEL_DIR, 'onnx', 'model.onnx')).mtime.toISOString();
    if (JSON.stringify(cached.settings) === JSON.stringify(settings) && cached.createdAt > modelTime) return cached;
  }
  const model = await loadNodeModel({ device: 'cpu' });
  try {
    const runs = await collectFactsRuns(model, settings, (done, total) => {
      if (done % 50 === 0 || done === total) process.stderr.write(`  sampled ${done}/${total} questions\n`);
    });
    fs.mkdirSync(path.dirname(RUNS_FILE), { recursive: true });
    fs.writeFileSync(RUNS_FILE, JSON.stringify(runs));
    return runs;
  } finally {
    await model.dispose();
  }
}
