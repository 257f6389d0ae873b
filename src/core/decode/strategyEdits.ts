/**
 * Editing the list of strategies (`samplingLab.strategies`) as the panel's form does: add,
 * remove, duplicate and move entries, and check the whole list before it is written. Entries stay
 * the user's own settings objects, so keys the form does not show are carried through untouched.
 * Every function returns a new list; none changes its input.
 */
import { allParams } from '../sampling/registry';
import type { NumberParam } from '../sampling/stage';
import { STRATEGY_KINDS, STRATEGY_SETTING_KEYS, strategyFromSettings, type StrategySettings } from './strategies';
import type { StrategyKind } from './types';

/** One entry of `samplingLab.strategies` as written in settings.json. */
export type StrategyEntry = Record<string, unknown>;

/** The settings schema's bounds on the list (package.json: minItems, maxItems). */
export const MIN_STRATEGIES = 1;
export const MAX_STRATEGIES = 12;

/** A problem with one entry (or, without `index`, with the list), naming the setting and the fix. */
export interface StrategyProblem {
  index?: number;
  setting: string;
  message: string;
}

export class StrategyEditError extends Error {
  override readonly name = 'StrategyEditError';
}

/** The parameters the form shows for a kind, in this order; everything else is under "more settings". */
const FORM_PARAMS: Record<StrategyKind, readonly string[]> = {
  greedy: [],
  temperature: ['temperature'],
  top_k: ['temperature', 'topK'],
  top_p: ['temperature', 'topP'],
  min_p: ['temperature', 'minP'],
  best_of_n: ['temperature', 'candidates'],
  custom: ['temperature'],
};

/** What a new entry of each kind starts with: the preset's own values, written out so the form shows them. */
const NEW_ENTRY: Record<StrategyKind, StrategySettings> = {
  greedy: { kind: 'greedy' },
  temperature: { kind: 'temperature', temperature: 0.8 },
  top_k: { kind: 'top_k', topK: 40 },
  top_p: { kind: 'top_p', topP: 0.9 },
  min_p: { kind: 'min_p', minP: 0.1 },
  best_of_n: { kind: 'best_of_n', candidates: 4 },
  custom: { kind: 'custom', temperature: 1 },
};

const CANDIDATES_PARAM: Pick<NumberParam, 'min' | 'max' | 'integer' | 'help'> = { min: 1, max: 64, integer: true, help: 'best-of-N: how many candidates (N)' };

export interface FormParam {
  setting: string;
  help: string;
  min: number;
  max: number;
  /** The input's step: 1 for integers, else any. */
  integer: boolean;
}

/** The number inputs the form shows for an entry of `kind`, with their ranges from the stage registry. */
export function formParams(kind: StrategyKind): FormParam[] {
  return FORM_PARAMS[kind].map((setting) => {
    const spec = setting === 'candidates' ? CANDIDATES_PARAM : (allParams().find((p) => p.param.setting === setting)!.param as NumberParam);
    return { setting, help: spec.help, min: spec.min, max: spec.max, integer: spec.integer === true };
  });
}

/** The entry's keys the form does not show as their own field (kept, and edited as JSON). */
export function otherSettings(entry: StrategyEntry): StrategyEntry {
  const kind = kindOf(entry);
  const shown = new Set(['name', 'kind', ...(kind ? FORM_PARAMS[kind] : [])]);
  return Object.fromEntries(Object.entries(entry).filter(([key]) => !shown.has(key)));
}

/** The entry with its form fields (name, kind, shown parameters) replaced by `fields` and its other settings by `other`. */
export function withFields(entry: StrategyEntry, fields: StrategyEntry, other: StrategyEntry): StrategyEntry {
  const kind = kindOf(fields) ?? kindOf(entry);
  const shown = new Set(['name', 'kind', ...(kind ? FORM_PARAMS[kind] : [])]);
  const out: StrategyEntry = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined && value !== '') out[key] = value;
  for (const [key, value] of Object.entries(other)) if (!shown.has(key)) out[key] = value;
  return out;
}

/**
 * The entry as another kind: the name and the settings the form does not show stay, the new
 * kind's own parameters start at its preset (temperature carries over when both use it), and the
 * old kind's own parameters go, so a top-k turned top-p does not keep cutting at k.
 */
export function changeKind(entry: StrategyEntry, kind: StrategyKind): StrategyEntry {
  const out: StrategyEntry = {};
  if (entry.name !== undefined) out.name = entry.name;
  Object.assign(out, NEW_ENTRY[kind]);
  if (FORM_PARAMS[kind].includes('temperature') && entry.temperature !== undefined) out.temperature = entry.temperature;
  return { ...out, ...otherSettings(entry) };
}

function kindOf(entry: StrategyEntry): StrategyKind | undefined {
  return (STRATEGY_KINDS as readonly unknown[]).includes(entry.kind) ? (entry.kind as StrategyKind) : undefined;
}

export function addStrategy(list: readonly StrategyEntry[], kind: StrategyKind): StrategyEntry[] {
  if (list.length >= MAX_STRATEGIES) throw new StrategyEditError(`A comparison has at most ${MAX_STRATEGIES} strategies; remove one first.`);
  return [...list, { ...NEW_ENTRY[kind] }];
}

/** A copy right after the original, named "<name> copy" so the two cards can be told apart. */
export function duplicateStrategy(list: readonly StrategyEntry[], index: number): StrategyEntry[] {
  at(list, index);
  if (list.length >= MAX_STRATEGIES) throw new StrategyEditError(`A comparison has at most ${MAX_STRATEGIES} strategies; remove one before duplicating.`);
  const original = list[index]!;
  const copy = JSON.parse(JSON.stringify(original)) as StrategyEntry;
  copy.name = `${displayName(original, index)} copy`;
  return [...list.slice(0, index + 1), copy, ...list.slice(index + 1)];
}

export function removeStrategy(list: readonly StrategyEntry[], index: number): StrategyEntry[] {
  at(list, index);
  if (list.length <= MIN_STRATEGIES) throw new StrategyEditError('A comparison needs at least one strategy; add another before removing this one.');
  return list.filter((_, i) => i !== index);
}

/** Moves entry `from` to position `to` (clamped to the list). */
export function moveStrategy(list: readonly StrategyEntry[], from: number, to: number): StrategyEntry[] {
  at(list, from);
  const target = Math.max(0, Math.min(list.length - 1, to));
  const out = [...list];
  const [moved] = out.splice(from, 1);
  out.splice(target, 0, moved!);
  return out;
}

function at(list: readonly StrategyEntry[], index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= list.length) throw new StrategyEditError(`There is no strategy ${index + 1}; the list has ${list.length}.`);
}

/** The card title an entry gets: its name, else the one built from its parameters. */
export function displayName(entry: StrategyEntry, index: number): string {
  if (typeof entry.name === 'string' && entry.name.trim()) return entry.name.trim();
  try {
    return strategyFromSettings(entry).name;
  } catch {
    return `strategy ${index + 1}`;
  }
}

/**
 * Every problem of the list as `samplingLab.strategies` would have it: the count, unknown keys
 * (the settings schema allows none), and each entry's values, checked by the same parser a run
 * uses, so what the form accepts is what runs.
 */
export function checkStrategies(list: readonly unknown[], setting = 'samplingLab.strategies'): StrategyProblem[] {
  const problems: StrategyProblem[] = [];
  if (list.length < MIN_STRATEGIES) problems.push({ setting, message: `${setting} needs at least one strategy; add one.` });
  if (list.length > MAX_STRATEGIES) problems.push({ setting, message: `${setting} has ${list.length} strategies; at most ${MAX_STRATEGIES} fit a comparison. Remove ${list.length - MAX_STRATEGIES}.` });
  list.forEach((entry, index) => {
    const where = `${setting}[${index}]`;
    if (typeof entry === 'object' && entry !== null && !Array.isArray(entry)) {
      const unknown = Object.keys(entry).filter((k) => !STRATEGY_SETTING_KEYS.includes(k));
      if (unknown.length > 0) {
        problems.push({ index, setting: `${where}.${unknown[0]}`, message: `${where} has ${unknown.map((k) => JSON.stringify(k)).join(', ')}, which ${unknown.length === 1 ? 'is not a setting' : 'are not settings'} of a strategy. Known: ${STRATEGY_SETTING_KEYS.join(', ')}.` });
        return;
      }
    }
    try {
      strategyFromSettings(entry, where);
    } catch (e) {
      const err = e as Error & { setting?: string };
      problems.push({ index, setting: err.setting ?? where, message: err.message });
    }
  });
  return problems;
}
