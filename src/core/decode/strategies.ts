/**
 * Strategies are named presets of the sampler chain. The same settings shape serves the CLI,
 * the VS Code settings (`samplingLab.strategies`) and the panel, so one parser checks them all.
 */
import type { StageConfig, StageType } from '../sampling/types';
import type { Strategy, StrategyKind } from './types';

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

/** A strategy as a user writes it in settings or on the command line. */
export interface StrategySettings {
  name?: string;
  kind: StrategyKind;
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  typicalP?: number;
  repetitionPenalty?: number;
  /** Best-of-N's N. */
  candidates?: number;
  /** Chain order, as stage types; stages not listed keep their default place after the listed ones. */
  order?: StageType[];
}

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

export const DEFAULT_ORDER: readonly StageType[] = ['repetition_penalty', 'temperature', 'top_k', 'typical_p', 'top_p', 'min_p'];

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
  const num = (field: keyof StrategySettings, ok: (v: number) => boolean, range: string, integer = false) => {
    const value = input[field];
    if (value === undefined || value === null) return;
    if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value) || (integer && !Number.isInteger(value))) {
      throw new StrategyError(`${where}.${field} must be ${integer ? 'an integer ' : ''}${range} (got ${JSON.stringify(value)}).`, `${where}.${field}`);
    }
    (s as unknown as Record<string, number>)[field] = value;
  };
  num('temperature', (v) => v >= 0, '≥ 0; 0 means greedy');
  num('topK', (v) => v >= 1, '≥ 1', true);
  num('topP', (v) => v > 0 && v <= 1, 'in (0, 1]');
  num('minP', (v) => v >= 0 && v <= 1, 'in [0, 1]');
  num('typicalP', (v) => v > 0 && v <= 1, 'in (0, 1]');
  num('repetitionPenalty', (v) => v > 0, '> 0; 1 means no penalty');
  num('candidates', (v) => v >= 1 && v <= 64, 'in [1, 64]', true);
  if (input.order !== undefined) {
    if (!Array.isArray(input.order) || input.order.some((o) => !DEFAULT_ORDER.includes(o as StageType))) {
      throw new StrategyError(`${where}.order must list stage names from: ${DEFAULT_ORDER.join(', ')}.`, `${where}.order`);
    }
    s.order = input.order as StageType[];
  }
  if (typeof input.name === 'string' && input.name.trim()) s.name = input.name.trim();
  return buildStrategy(s);
}

function buildStrategy(s: StrategySettings): Strategy {
  const stages: StageConfig[] = [];
  if (s.kind !== 'greedy') {
    const byType: Partial<Record<StageType, StageConfig>> = {};
    if (s.repetitionPenalty !== undefined && s.repetitionPenalty !== 1) {
      byType.repetition_penalty = { type: 'repetition_penalty', penalty: s.repetitionPenalty, lastN: 64 };
    }
    if (s.temperature !== undefined) byType.temperature = { type: 'temperature', t: s.temperature };
    if (s.topK !== undefined) byType.top_k = { type: 'top_k', k: s.topK };
    if (s.typicalP !== undefined) byType.typical_p = { type: 'typical_p', p: s.typicalP };
    if (s.topP !== undefined) byType.top_p = { type: 'top_p', p: s.topP };
    if (s.minP !== undefined) byType.min_p = { type: 'min_p', p: s.minP };
    const order = [...(s.order ?? []), ...DEFAULT_ORDER.filter((t) => !s.order?.includes(t))];
    for (const type of order) {
      const stage = byType[type];
      if (stage) stages.push(stage);
    }
  }
  const greedy = s.kind === 'greedy' || s.temperature === 0;
  return {
    name: s.name ?? defaultName(s),
    kind: s.kind,
    sampler: { stages, select: greedy ? 'greedy' : 'sample' },
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
