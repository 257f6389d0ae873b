/**
 * One preference: the user marked one of two completions of the same prompt as better. The
 * record uses the field names of common preference datasets (`prompt`, `chosen`, `rejected`, with
 * chosen and rejected holding the completions only, as TRL's DPO and reward trainers read them),
 * so `.sampling-lab/preferences.jsonl` feeds those trainers unchanged. What else is known (both
 * strategies with their settings, seeds, scores, model, time) sits in flat extra columns that
 * trainers ignore and the Preferences view reads.
 */
import { DEFAULT_ORDER, type StrategySettings } from '../decode/strategies';
import type { Strategy } from '../decode/types';
import type { StageType } from '../sampling/types';

export interface PreferenceRecord {
  prompt: string;
  chosen: string;
  rejected: string;
  /** Strategy display names, e.g. "top-p 0.9": what win rates and Bradley–Terry group by. */
  chosen_strategy?: string;
  rejected_strategy?: string;
  /** The strategies' settings, in the shape samplingLab.strategies takes (strategyFromSettings reads them back). */
  chosen_settings?: StrategySettings;
  rejected_settings?: StrategySettings;
  chosen_seed?: number;
  rejected_seed?: number;
  /** Mean and sum of the completion's token log-probs under the raw distribution; null when not finite. */
  chosen_mean_logprob?: number | null;
  rejected_mean_logprob?: number | null;
  chosen_sum_logprob?: number | null;
  rejected_sum_logprob?: number | null;
  chosen_tokens?: number;
  rejected_tokens?: number;
  model?: string;
  /** When the choice was made, ISO 8601 in UTC. */
  time?: string;
}

/** A completion as the Compare panel holds it (core/decode's Completion fits). */
export interface ComparedCompletion {
  text: string;
  seed: number;
  meanLogprob: number;
  sumLogprob: number;
  tokens: { length: number };
}

export interface PreferenceChoice {
  prompt: string;
  model: string;
  chosen: { strategy: Strategy; completion: ComparedCompletion };
  rejected: { strategy: Strategy; completion: ComparedCompletion };
  time?: Date;
}

export class PreferenceError extends Error {
  override readonly name = 'PreferenceError';
}

export function makePreferenceRecord(choice: PreferenceChoice): PreferenceRecord {
  const { chosen, rejected } = choice;
  return {
    prompt: choice.prompt,
    chosen: chosen.completion.text,
    rejected: rejected.completion.text,
    chosen_strategy: chosen.strategy.name,
    rejected_strategy: rejected.strategy.name,
    chosen_settings: settingsOfStrategy(chosen.strategy),
    rejected_settings: settingsOfStrategy(rejected.strategy),
    chosen_seed: chosen.completion.seed,
    rejected_seed: rejected.completion.seed,
    chosen_mean_logprob: finiteOrNull(chosen.completion.meanLogprob),
    rejected_mean_logprob: finiteOrNull(rejected.completion.meanLogprob),
    chosen_sum_logprob: finiteOrNull(chosen.completion.sumLogprob),
    rejected_sum_logprob: finiteOrNull(rejected.completion.sumLogprob),
    chosen_tokens: chosen.completion.tokens.length,
    rejected_tokens: rejected.completion.tokens.length,
    model: choice.model,
    time: (choice.time ?? new Date()).toISOString(),
  };
}

/** The settings that rebuild `strategy` with strategyFromSettings: its kind, name and each stage's parameter. */
export function settingsOfStrategy(strategy: Strategy): StrategySettings {
  const s: StrategySettings = { kind: strategy.kind, name: strategy.name };
  for (const stage of strategy.sampler.stages) {
    switch (stage.type) {
      case 'temperature':
        s.temperature = stage.t;
        break;
      case 'top_k':
        s.topK = stage.k;
        break;
      case 'top_p':
        s.topP = stage.p;
        break;
      case 'min_p':
        s.minP = stage.p;
        break;
      case 'typical_p':
        s.typicalP = stage.p;
        break;
      case 'repetition_penalty':
        s.repetitionPenalty = stage.penalty;
        break;
    }
  }
  if (strategy.candidates !== undefined) s.candidates = strategy.candidates;
  const order: StageType[] = strategy.sampler.stages.map((stage) => stage.type);
  const defaultOrder = DEFAULT_ORDER.filter((t) => order.includes(t));
  if (order.some((t, i) => t !== defaultOrder[i])) s.order = order;
  return s;
}

/** One JSONL line: JSON escapes every line break inside strings, so a record is exactly one line. */
export function preferenceLine(record: PreferenceRecord): string {
  // "prompt" first, always: RECORD_START then finds a record appended after a cut-off line.
  const { prompt, ...rest } = record;
  return `${JSON.stringify({ prompt, ...rest })}\n`;
}

/** How every line preferenceLine writes begins; inside a JSON string the quotes would be escaped, so this only matches a record's start. */
const RECORD_START = '{"prompt":';

/** The type each optional field must have, so a hand-edited record cannot crash a reader (e.g. a numeric strategy name). */
const OPTIONAL_FIELDS: Record<string, 'string' | 'number' | 'number|null' | 'object'> = {
  chosen_strategy: 'string',
  rejected_strategy: 'string',
  chosen_settings: 'object',
  rejected_settings: 'object',
  chosen_seed: 'number',
  rejected_seed: 'number',
  chosen_mean_logprob: 'number|null',
  rejected_mean_logprob: 'number|null',
  chosen_sum_logprob: 'number|null',
  rejected_sum_logprob: 'number|null',
  chosen_tokens: 'number',
  rejected_tokens: 'number',
  model: 'string',
  time: 'string',
};

function fieldTypeProblem(field: string, value: unknown, want: string): string | undefined {
  if (value === undefined) return undefined;
  const ok =
    want === 'string' ? typeof value === 'string'
    : want === 'number' ? typeof value === 'number' && Number.isFinite(value)
    : want === 'number|null' ? value === null || (typeof value === 'number' && Number.isFinite(value))
    : typeof value === 'object' && value !== null && !Array.isArray(value);
  if (ok) return undefined;
  const got = value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`;
  const wanted = want === 'string' ? 'text' : want === 'object' ? 'an object' : want === 'number' ? 'a number' : 'a number or null';
  return `"${field}" must be ${wanted} (got ${got})`;
}

/** Checks a parsed line; returns why it is not a preference record, or the record. */
export function toPreferenceRecord(value: unknown): PreferenceRecord | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const r = value as Record<string, unknown>;
  for (const field of ['prompt', 'chosen', 'rejected'] as const) {
    if (typeof r[field] !== 'string') {
      return Array.isArray(r[field])
        ? `"${field}" is a list of messages (conversational format); Sampling Lab reads plain-text prompt, chosen and rejected`
        : `"${field}" is missing or not text`;
    }
  }
  for (const [field, want] of Object.entries(OPTIONAL_FIELDS)) {
    const problem = fieldTypeProblem(field, r[field], want);
    if (problem) return problem;
  }
  return r as unknown as PreferenceRecord;
}

export interface ParsedPreferences {
  records: PreferenceRecord[];
  /** Lines that are not records (1-based line numbers), with why; the records around them are kept. */
  skipped: Array<{ line: number; reason: string }>;
  /** The last line was cut off mid-record (a write interrupted by a crash); it is among `skipped`. */
  tornTail: boolean;
}

/**
 * Reads JSONL: blank lines are ignored, a bad line is skipped and reported, never fatal. A line
 * that a crash cut off, with the next append glued on after it, loses only the cut-off part.
 */
export function parsePreferencesJsonl(text: string): ParsedPreferences {
  // A BOM (a file saved by a Windows editor) is not part of the first record.
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const records: PreferenceRecord[] = [];
  const skipped: ParsedPreferences['skipped'] = [];
  let tornTail = false;
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const last = i === lines.length - 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      const glued = line.lastIndexOf(RECORD_START);
      const tail = glued > 0 ? parseRecord(line.slice(glued)) : undefined;
      if (tail && typeof tail !== 'string') {
        skipped.push({ line: i + 1, reason: 'cut off mid-record (an interrupted write); the record after it on this line is kept' });
        records.push(tail);
        return;
      }
      // A final line without its line break that does not parse is an interrupted append.
      if (last) tornTail = true;
      skipped.push({ line: i + 1, reason: last ? 'cut off mid-record (an interrupted write)' : `not JSON (${(e as Error).message})` });
      return;
    }
    const record = toPreferenceRecord(value);
    if (typeof record === 'string') skipped.push({ line: i + 1, reason: record });
    else records.push(record);
  });
  return { records, skipped, tornTail };
}

function parseRecord(text: string): PreferenceRecord | string | undefined {
  try {
    return toPreferenceRecord(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
