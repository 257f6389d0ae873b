/**
 * Export of preference records: JSONL (the dataset as trainers read it) or CSV (RFC 4180, for a
 * spreadsheet or pandas). CSV keeps every column; nested settings become JSON text.
 */
import { preferenceLine, type PreferenceRecord } from './record';

export type ExportFormat = 'jsonl' | 'csv';

export const PREFERENCE_COLUMNS = [
  'prompt',
  'chosen',
  'rejected',
  'chosen_strategy',
  'rejected_strategy',
  'chosen_settings',
  'rejected_settings',
  'chosen_seed',
  'rejected_seed',
  'chosen_mean_logprob',
  'rejected_mean_logprob',
  'chosen_sum_logprob',
  'rejected_sum_logprob',
  'chosen_tokens',
  'rejected_tokens',
  'model',
  'time',
] as const satisfies ReadonlyArray<keyof PreferenceRecord>;

export function exportPreferences(records: readonly PreferenceRecord[], format: ExportFormat): string {
  return format === 'jsonl' ? toJsonl(records) : toCsv(records);
}

export function toJsonl(records: readonly PreferenceRecord[]): string {
  return records.map(preferenceLine).join('');
}

export function toCsv(records: readonly PreferenceRecord[]): string {
  const rows = [PREFERENCE_COLUMNS.join(',')];
  for (const r of records) rows.push(PREFERENCE_COLUMNS.map((c) => csvField(r[c])).join(','));
  return rows.map((row) => `${row}\r\n`).join('');
}

/**
 * A field quoted when it holds a comma, quote or line break, with quotes doubled (RFC 4180). Text
 * a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return) gets a
 * leading apostrophe, as OWASP's CSV injection advice says; a plain number such as -1.25 stays a
 * number.
 */
export function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The format an export file name asks for: ".csv" or ".jsonl"/".json". */
export function exportFormatOf(fileName: string): ExportFormat | undefined {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.json')) return 'jsonl';
  return undefined;
}
