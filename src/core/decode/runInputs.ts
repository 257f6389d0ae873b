/**
 * What a run's own inputs accept, as typed by a person: the max-new-tokens range and stop strings
 * written as one line (the panel's "Stop at" field) or one flag each (the CLI's `--stop`), with
 * escapes such as `\n` understood. The one parser both the panel and the CLI use.
 */

/** Tokens a run may generate, the same range as `samplingLab.maxNewTokens` in package.json. */
export const MAX_NEW_TOKENS_RANGE = { min: 1, max: 512 } as const;
/** Stop strings one run may carry: more would only slow every step's check. */
export const MAX_STOP_STRINGS = 16;
/** The longest stop string: it is searched for in a completion's tail at every step. */
export const MAX_STOP_LENGTH = 200;

/** Why a max-tokens value or stop list is refused, naming the range or limit. */
export class RunInputError extends Error {
  override readonly name = 'RunInputError';
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', ',': ',', ' ': ' ', '"': '"', "'": "'" };

/**
 * One stop string with its escapes decoded: `\n`, `\t`, `\r`, `\\`, `\,`, `\ ` (a space), `\"`, `\'`. Any other
 * backslash is kept as written (a stop string may well contain one).
 */
export function decodeEscapes(text: string): string {
  return text.replace(/\\(.)/gs, (whole, c: string) => ESCAPES[c] ?? whole);
}

/**
 * The stop strings of a "Stop at" field: separated by commas or line breaks (a literal comma is
 * `\,`), each with its escapes decoded; blank items are dropped and repeats kept once. Throws
 * RunInputError when there are too many or one is too long.
 */
export function parseStopList(text: string): string[] {
  const items: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      // The escape stays whole so a `\,` is not a separator; it is decoded below.
      current += c + text[++i];
    } else if (c === ',' || c === '\n' || c === '\r') {
      items.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  items.push(current);
  // Spaces around a separator are layout (", "); a space that belongs to the string is written `\ `.
  const stops = [...new Set(items.map((s) => decodeEscapes(s.replace(/^ +/, '').replace(/(?<!\\) +$/, ''))).filter((s) => s.length > 0))];
  checkStopStrings(stops);
  return stops;
}

/** Refuses a stop list a run cannot take, naming the limit. */
export function checkStopStrings(stops: readonly string[]): void {
  if (stops.length > MAX_STOP_STRINGS) throw new RunInputError(`At most ${MAX_STOP_STRINGS} stop strings (got ${stops.length}).`);
  const long = stops.find((s) => s.length > MAX_STOP_LENGTH);
  if (long !== undefined) throw new RunInputError(`A stop string may be at most ${MAX_STOP_LENGTH} characters (one has ${long.length}).`);
  if (stops.some((s) => s.length === 0)) throw new RunInputError('A stop string may not be empty.');
}

/** How a run header names its stop strings: each quoted with its escapes shown, e.g. `"\n\n"`. */
export function describeStops(stops: readonly string[]): string {
  return stops.map((s) => JSON.stringify(s)).join(', ');
}

/** A whole number of tokens in MAX_NEW_TOKENS_RANGE, or a RunInputError naming the range. */
export function checkMaxNewTokens(value: unknown, what = 'Max tokens'): number {
  const { min, max } = MAX_NEW_TOKENS_RANGE;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RunInputError(`${what} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)}).`);
  }
  return value;
}

/** The "Max tokens" field's text as a number: blank is undefined (the setting's value). */
export function parseMaxTokens(text: string): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const { min, max } = MAX_NEW_TOKENS_RANGE;
  const n = Number(t);
  // The message quotes the field's text as typed, in range or not.
  if (!/^\d+$/.test(t) || n < min || n > max) throw new RunInputError(`Max tokens must be a whole number from ${min} to ${max} (got "${t}").`);
  return n;
}
