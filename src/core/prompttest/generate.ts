/**
 * What a case asks of the model, as data (a plan), and running that plan with the decode loop.
 * The plan is plain JSON: the CLI runs it here, the extension can send it to the worker that
 * holds the model, and its canonical text is the cache key, since seeded decoding makes the same
 * plan on the same model give the same tokens (core/decode/compare.ts).
 */
import { compareStrategies } from '../decode/compare';
import { strategyFromSettings } from '../decode/strategies';
import type { CompareResult, Completion, DecodeOptions, Strategy } from '../decode/types';
import { withPromptFormat } from '../model/promptFormat';
import type { CausalLM } from '../model/types';
import type { CaseGeneration, PromptTestCase, RunOutput } from './types';

export interface RiskSampling {
  samples: number;
  temperature: number;
}

export interface GenerationPlan {
  prompt: string;
  strategy: Strategy;
  /**
   * N runs. Run i of a sampling strategy is sample i of the prompt (core/sampling/rng.ts
   * sequenceSeed); best-of-N run i draws samples i × candidates … (i + 1) × candidates − 1.
   */
  runs: number;
  seed: number;
  maxNewTokens: number;
  stopStrings: string[];
  /** One batch of risk samples per distinct (samples, temperature) among the max-risk assertions. */
  risk: RiskSampling[];
  /** Raw or chat template (absent: the template when the model has one), and the system message. */
  chat?: boolean;
  system?: string;
}

/** The model a plan ran on, as far as it decides the tokens. */
export interface ModelIdentity {
  name: string;
  device: string;
  /** Changes when the model changes, by content (src/node/modelFolder.ts modelFingerprint: config, tokenizer, ONNX header). */
  fingerprint?: string;
}

export class CaseCancelledError extends Error {
  override readonly name = 'CaseCancelledError';
  constructor() {
    super('The prompt test run was cancelled.');
  }
}

export function planGeneration(c: PromptTestCase): GenerationPlan {
  const risk: RiskSampling[] = [];
  for (const a of c.assertions) {
    if (a.type !== 'max-risk') continue;
    if (!risk.some((r) => r.samples === a.samples && r.temperature === a.temperature)) risk.push({ samples: a.samples, temperature: a.temperature });
  }
  return {
    prompt: c.prompt,
    strategy: c.strategy,
    runs: c.repeat,
    seed: c.seed,
    maxNewTokens: c.maxNewTokens,
    stopStrings: c.stopStrings,
    risk,
    ...(c.chat !== undefined ? { chat: c.chat } : {}),
    ...(c.system !== undefined ? { system: c.system } : {}),
  };
}

export function riskSamplesKey(r: RiskSampling): string {
  return `${r.samples}@T${r.temperature}`;
}

/** Canonical text of everything that decides a case's outputs; hash it for a cache file name. */
export function generationCacheKeyText(plan: GenerationPlan, model: ModelIdentity): string {
  return JSON.stringify({
    // v2: sample i's seed is sequenceSeed(seed, prompt, i), no longer seed + i.
    v: 2,
    model: [model.name, model.device, model.fingerprint ?? ''],
    prompt: plan.prompt,
    strategy: { kind: plan.strategy.kind, sampler: plan.strategy.sampler, candidates: plan.strategy.candidates ?? null },
    runs: plan.runs,
    seed: plan.seed,
    maxNewTokens: plan.maxNewTokens,
    stop: plan.stopStrings,
    risk: plan.risk.map(riskSamplesKey).sort(),
    // Only when set, so the keys of cases that say nothing about chat stay as they were.
    ...(plan.chat !== undefined ? { chat: plan.chat } : {}),
    ...(plan.system !== undefined ? { system: plan.system } : {}),
  });
}

/** Whether `g` holds what `plan` asks for: N runs and each risk batch at its size (a cache entry is checked so). */
export function generationFitsPlan(g: CaseGeneration, plan: GenerationPlan): boolean {
  if (g.runs.length !== plan.runs) return false;
  return plan.risk.every((r) => {
    const samples = g.riskSamples[riskSamplesKey(r)];
    return Array.isArray(samples) && samples.length === r.samples && samples.every((t) => typeof t === 'string');
  });
}

/**
 * Index of the first risk sample (its seed is sequenceSeed(seed, prompt, index)). After a greedy
 * main answer the risk samples are samples 0 … K − 1, the same draw as "Check Hallucination
 * Risk", so the numbers match the panel's. After sampled runs they continue past the runs'
 * samples, so no run is scored against a copy of itself.
 */
export function riskFirstSample(plan: GenerationPlan): number {
  if (plan.strategy.sampler.select === 'greedy' && plan.strategy.kind !== 'best_of_n') return 0;
  return plan.strategy.kind === 'best_of_n' ? plan.runs * (plan.strategy.candidates ?? 4) : plan.runs;
}

export interface GenerateOptions {
  signal?: AbortSignal;
}

/** Runs strategies on a prompt: the local decode loop, or an engine (engine.compare). */
export type CompareFn = (prompt: string, strategies: readonly Strategy[], options: DecodeOptions) => Promise<CompareResult>;

export async function generateCase(rawModel: CausalLM, plan: GenerationPlan, options: GenerateOptions = {}): Promise<CaseGeneration> {
  const model = withPromptFormat(rawModel, { chat: plan.chat, system: plan.system });
  return generateCaseWith((prompt, strategies, decode) => compareStrategies(model, prompt, strategies, decode), plan, options);
}

/**
 * A plan's runs and risk samples through `compare`, which renders the prompt as the plan says.
 * A strategy the engine refuses fails the case with the engine's reason.
 */
export async function generateCaseWith(rawCompare: CompareFn, plan: GenerationPlan, options: GenerateOptions = {}): Promise<CaseGeneration> {
  const { signal } = options;
  const compare: CompareFn = async (prompt, strategies, decodeOptions) => {
    const r = await rawCompare(prompt, strategies, decodeOptions);
    if (r.refused && r.refused.length > 0) throw new Error(r.refused.map((x) => x.reason).join('; '));
    return r;
  };
  const decode = { maxNewTokens: plan.maxNewTokens, stopStrings: plan.stopStrings, signal, topAlternatives: 0 };
  const checkCancelled = () => {
    if (signal?.aborted) throw new CaseCancelledError();
  };

  let runs: RunOutput[];
  let deterministic = false;
  if (plan.strategy.kind === 'best_of_n') {
    // Each run is a whole best-of-N pick; give each its own candidates' seeds.
    const candidates = plan.strategy.candidates ?? 4;
    runs = [];
    for (let i = 0; i < plan.runs; i++) {
      const r = await compare(plan.prompt, [plan.strategy], { ...decode, seed: plan.seed, firstSample: i * candidates, samples: 1 });
      checkCancelled();
      runs.push(runOutput(r.results[0]!.best));
    }
  } else {
    const r = await compare(plan.prompt, [plan.strategy], { ...decode, seed: plan.seed, samples: plan.runs });
    checkCancelled();
    const completions = r.results[0]!.completions;
    // Greedy draws one sequence whatever N is: it stands for all N runs.
    deterministic = completions.length === 1 && plan.runs > 1;
    runs = Array.from({ length: plan.runs }, (_, i) => runOutput(completions[Math.min(i, completions.length - 1)]!));
  }

  const riskSamples: Record<string, string[]> = {};
  for (const r of plan.risk) {
    const sampler = strategyFromSettings({ kind: 'temperature', temperature: r.temperature }, 'max-risk');
    const result = await compare(plan.prompt, [sampler], { ...decode, seed: plan.seed, firstSample: riskFirstSample(plan), samples: r.samples });
    checkCancelled();
    riskSamples[riskSamplesKey(r)] = result.results[0]!.completions.map((c) => c.text);
  }
  return { runs, deterministic, riskSamples };
}

function runOutput(c: Completion): RunOutput {
  return { text: c.text, tokenLogprobs: c.tokens.map((t) => t.logprobRaw), meanLogprob: c.meanLogprob, seed: c.seed, finishReason: c.finishReason };
}
