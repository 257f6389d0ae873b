/**
 * How a text or bias parameter (DRY's sequence breakers, logit bias) is written on one line of
 * text and read back: the explorer's text controls and Sample with Settings' input box share this
 * reader, and its items are the CLI flags' own (one --dry-sequence-breaker, one --logit-bias).
 */
import { biasKeyText, parseBiasEntry } from './logitBias';
import type { BiasParam, TextsParam } from './stage';

/** One sequence breaker as the CLI flag takes it: a typed "\n" is a line break. */
export function textsItem(item: string): string {
  return item.replace(/\\n/g, '\n');
}

/** One bias entry of a line: JSON-quoted texts (which may hold commas) or any other character but a separator. */
const BIAS_ITEM = /(?:"(?:[^"\\\n]|\\.)*"|[^,\n])+/g;

/** The form a line must take, for error messages and placeholders. */
export function paramTextForm(param: TextsParam | BiasParam): string {
  return param.kind === 'texts'
    ? 'a JSON list of strings (["\\n", ":"]) or a comma-separated list (\\n, :, *; \\n is a line break)'
    : 'comma-separated TOKEN=BIAS entries (a token id or a text, JSON-quoted to keep spaces: " Paris"=ban; a number or "ban"), or ID+BIAS / ID-BIAS';
}

/**
 * A line as the parameter's value: texts are a JSON list of strings, or a comma- or
 * newline-separated list of items as the CLI flag takes them (trimmed; JSON keeps spaces);
 * a bias is comma- or newline-separated CLI --logit-bias entries. An empty line is
 * `undefined` (the parameter is unset). `{ error }` says what is wrong with which part.
 */
export function parseParamText(param: TextsParam | BiasParam, text: string): { value: unknown } | { error: string } {
  if (text.trim() === '') return { value: undefined };
  if (param.kind === 'texts') {
    if (text.trim().startsWith('[')) {
      let list: unknown;
      try {
        list = JSON.parse(text);
      } catch (e) {
        return { error: `not valid JSON (${(e as Error).message})` };
      }
      if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) return { error: `a JSON list must hold only strings (got ${text.trim()})` };
      return { value: list };
    }
    const items = text.split(/[,\n]/).map((s) => s.trim());
    if (items.some((s) => s === '')) return { error: 'an empty item (two commas in a row, or a trailing comma); write a comma or space as a JSON list: [",", " "]' };
    return { value: items.map(textsItem) };
  }
  const bias: Record<string, number | false> = {};
  // Commas and line breaks separate entries, except inside a JSON-quoted text.
  for (const item of (text.match(BIAS_ITEM) ?? []).filter((t) => t.trim())) {
    const entry = parseBiasEntry(item.trim());
    if (!entry) return { error: `"${item.trim()}" is not TOKEN=BIAS` };
    bias[entry[0]] = entry[1];
  }
  return { value: bias };
}

/** The inverse: the line that reads back as this value (texts as JSON, so any string survives). */
export function formatParamText(param: TextsParam | BiasParam, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (param.kind === 'texts') return JSON.stringify(value);
  return Object.entries(value as Record<string, number | false>)
    .map(([k, v]) => `${biasKeyText(k)}=${v === false ? 'ban' : v}`)
    .join(', ');
}
