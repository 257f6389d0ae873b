/**
 * Strategies are named presets of the sampler chain. The same settings shape serves the CLI,
 * the VS Code settings (`samplingLab.strategies`) and the panel, so one parser checks them all.
 */
import { checkNumberParam, SamplingConfigError } from '../sampling/checkParam';
import { allParams, DEFAULT_ORDER, stageDefinition, stageFromSettings, stageTypeFromName } from '../sampling/registry';
import type { ParamSpec } from '../sampling/stage';
import type { StageConfig, StageType } from '../sampling/types';
import type { Strategy, StrategyKind } from './types';

export { DEFAULT_ORDER };

export class StrategyError extends Error {
  override readonly name = 'StrategyError';
  constructor(
    message: string,
    /** Where the bad value came from, e.g. `samplingLab.strategies[2].topP` or `--top-p`. */
    readonly setting: string,
  ) {
    super(message);
  }
}

/**
 * A strategy as a user writes it in settings, prompt tests or on the command line. Besides the
 * fields below, every stage parameter has a setting key declared by its stage (registry.ts):
 * temperature, topK, topP, minP, typicalP, repetitionPenalty, dryMultiplier, xtcProbability, …
 */
export interface StrategySettings {
  name?: string;
  kind: StrategyKind;
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  /** Best-of-N's N. */
  candidates?: number;
  /** Chain order, as stage types; stages not listed keep their default place after the listed ones. */
  order?: StageType[];
  /** Every truncating stage keeps at least this many tokens. */
  minKeep?: number;
  [setting: string]: unknown;
}

/** Every key a strategy's settings may hold, in registry order after the strategy's own. */
export const STRATEGY_SETTING_KEYS: readonly string[] = ['name', 'kind', 'candidates', 'order', ...allParams().map((p) => p.param.setting)];

export const STRATEGY_KINDS: readonly StrategyKind[] = ['greedy', 'temperature', 'top_k', 'top_p', 'min_p', 'best_of_n', 'custom'];

/** Aliases accepted on the command line ("top-p" as well as "top_p"). */
export function kindFromName(name: string): StrategyKind | undefined {
  const k = name.trim().toLowerCase().replace(/-/g, '_');
  if (k === 'best_of' || k === 'bestofn' || k === 'best') return 'best_of_n';
  if (k === 'temp' || k === 't') return 'temperature';
  return (STRATEGY_KINDS as readonly string[]).includes(k) ? (k as StrategyKind) : undefined;
}

/** Each preset's defaults. Temperature comes first, as in Hugging Face's warper order. */
const PRESETS: Record<StrategyKind, Omit<StrategySettings, 'kind'>> = {
  greedy: {},
  temperature: { temperature: 0.8 },
  top_k: { temperature: 1.0, topK: 40 },
  top_p: { temperature: 1.0, topP: 0.9 },
  min_p: { temperature: 1.0, minP: 0.1 },
  best_of_n: { temperature: 1.0, candidates: 4 },
  custom: { temperature: 1.0 },
};

export function defaultStrategySettings(): StrategySettings[] {
  return (['greedy', 'temperature', 'top_k', 'top_p', 'min_p', 'best_of_n'] as const).map((kind) => ({ kind }));
}

export function defaultStrategies(): Strategy[] {
  return defaultStrategySettings().map((s, i) => strategyFromSettings(s, `strategies[${i}]`));
}

/** Checks one strategy's settings and builds its chain. Errors name `where` + the field. */
export function strategyFromSettings(raw: unknown, where = 'strategy'): Strategy {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new StrategyError(`${where} must be an object like { "kind": "top_p", "topP": 0.9 }.`, where);
  }
  const input = raw as Record<string, unknown>;
  const kind = typeof input.kind === 'string' ? kindFromName(input.kind) : undefined;
  if (!kind) {
    throw new StrategyError(
      `${where}.kind is ${JSON.stringify(input.kind)}, which is not a strategy. Use one of: ${STRATEGY_KINDS.join(', ')}.`,
      `${where}.kind`,
    );
  }
  const s: StrategySettings = { ...PRESETS[kind], kind };
  for (const { param } of allParams()) {
    const value = input[param.setting];
    if (value === undefined || value === null) continue;
    s[param.setting] = checkSetting(param, value, `${where}.${param.setting}`);
  }
  const candidates = input.candidates;
  if (candidates !== undefined && candidates !== null) {
    if (typeof candidates !== 'number' || !Number.isInteger(candidates) || candidates < 1 || candidates > 64) {
      throw new StrategyError(`${where}.candidates must be an integer in [1, 64] (got ${JSON.stringify(candidates)}).`, `${where}.candidates`);
    }
    s.candidates = candidates;
  }
  if (input.order !== undefined) {
    const names = Array.isArray(input.order) ? input.order.map((o) => (typeof o === 'string' ? stageTypeFromName(o) : undefined)) : [undefined];
    if (names.some((t) => t === undefined)) {
      throw new StrategyError(`${where}.order must list stage names from: ${DEFAULT_ORDER.join(', ')} (got ${JSON.stringify(input.order)}).`, `${where}.order`);
    }
    s.order = names as StageType[];
  }
  if (typeof input.name === 'string' && input.name.trim()) s.name = input.name.trim();
  return buildStrategy(s);
}

/** A setting's value checked against its parameter; the error names the setting. */
function checkSetting(param: ParamSpec, value: unknown, setting: string): unknown {
  try {
    if (param.kind === 'number') checkNumberParam(setting, param, value);
    else if (param.kind === 'texts') {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new SamplingConfigError(`${setting} must be a list of strings (got ${JSON.stringify(value)}).`, setting);
    } else if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.values(value).some((v) => v !== false && (typeof v !== 'number' || !Number.isFinite(v)))) {
      throw new SamplingConfigError(`${setting} must map token ids or texts to a finite bias, or false to ban, e.g. { "15043": -5, "Paris": false } (got ${JSON.stringify(value)}).`, setting);
    }
  } catch (e) {
    if (e instanceof SamplingConfigError) throw new StrategyError(e.message, setting);
    throw e;
  }
  return value;
}

function buildStrategy(s: StrategySettings): Strategy {
  const stages: StageConfig[] = [];
  if (s.kind !== 'greedy') {
    const order = [...(s.order ?? []), ...DEFAULT_ORDER.filter((t) => !s.order?.includes(t))];
    for (const type of order) {
      const stage = stageFromSettings(stageDefinition(type), s);
      if (stage) stages.push(stage);
    }
  }
  const greedy = s.kind === 'greedy' || s.temperature === 0;
  return {
    name: s.name ?? defaultName(s),
    kind: s.kind,
    sampler: { stages, select: greedy ? 'greedy' : 'sample', ...(s.minKeep !== undefined && s.minKeep > 1 && { minKeep: s.minKeep }) },
    candidates: s.kind === 'best_of_n' ? s.candidates : undefined,
  };
}


function defaultName(s: StrategySettings): string {
  switch (s.kind) {
    case 'greedy':
      return 'greedy';
    case 'temperature':
      return `temperature ${s.temperature}`;
    case 'top_k':
      return `top-k ${s.topK}`;
    case 'top_p':
      return `top-p ${s.topP}`;
    case 'min_p':
      return `min-p ${s.minP}`;
    case 'best_of_n':
      return `best-of-${s.candidates}`;
    case 'custom':
      return 'custom';
  }
}

/** Makes display names unique within one comparison ("top-p 0.9", "top-p 0.9 (2)"). */
export function uniqueNames(strategies: Strategy[]): Strategy[] {
  const seen = new Map<string, number>();
  return strategies.map((s) => {
    const n = (seen.get(s.name) ?? 0) + 1;
    seen.set(s.name, n);
    return n === 1 ? s : { ...s, name: `${s.name} (${n})` };
  });
}
