/**
 * Answer normalisation, so that "A: London." and "london" count as the same answer.
 * SQuAD-style (lower-case, drop punctuation and articles, squeeze spaces) plus number forms:
 * "1,953", "1953" and "nineteen fifty-three" all become "1953".
 */

const ARTICLES = new Set(['a', 'an', 'the']);

const UNITS: Record<string, number> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9,
  ten: 10, eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16,
  seventeen: 17, eighteen: 18, nineteen: 19,
};
const TENS: Record<string, number> = {
  twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90,
};
const SCALES: Record<string, number> = { hundred: 100, thousand: 1000, million: 1_000_000, billion: 1_000_000_000 };

function isNumberWord(word: string): boolean {
  return word in UNITS || word in TENS || word in SCALES;
}

/** Leading "A:", "Answer:" or "Response:" labels, as a completion of a Q/A prompt often starts. */
const ANSWER_PREFIX = /^\s*(?:a|answer|response)\s*[:：]\s*/i;

/** Removes any leading answer labels ("A: A: London" → "London"). */
export function stripAnswerPrefix(text: string): string {
  let out = text;
  while (ANSWER_PREFIX.test(out)) out = out.replace(ANSWER_PREFIX, '');
  return out;
}

/**
 * Lower-cased word tokens of a text, with punctuation dropped, thousands separators removed
 * ("1,953" → "1953"), decimals kept ("3.5") and apostrophes joined ("Queen's" → "queens").
 * No articles are dropped and no number words are converted: this is the tokenizer the
 * similarity measures and the sentence scorer share.
 */
export function wordTokens(text: string): string[] {
  const lowered = text
    .normalize('NFKC')
    .toLowerCase()
    // 1,953 and 1,000,000 → digits only; a comma in "1,2" stays a separator.
    .replace(/(\d),(?=\d{3}(?!\d))/g, '$1')
    // Apostrophes inside a word join its parts.
    .replace(/(\p{L})['’](\p{L})/gu, '$1$2');
  return lowered.match(/\d+(?:\.\d+)?|[\p{L}\p{M}\p{N}]+/gu) ?? [];
}

/**
 * Turns runs of number words into digits: "fifty-three" → "53", "two hundred and five" → "205",
 * and the spoken year pattern "nineteen fifty three" → "1953". `tokens` are word tokens.
 */
export function numberWordsToDigits(tokens: readonly string[]): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < tokens.length) {
    if (!isNumberWord(tokens[i]!)) {
      out.push(tokens[i]!);
      i++;
      continue;
    }
    // Collect the run; "and" may join parts ("two hundred and five") but never ends a run.
    let j = i;
    const run: string[] = [];
    while (j < tokens.length) {
      const t = tokens[j]!;
      if (isNumberWord(t)) {
        run.push(t);
        j++;
      } else if (t === 'and' && run.length > 0 && j + 1 < tokens.length && isNumberWord(tokens[j + 1]!)) {
        j++;
      } else break;
    }
    out.push(...numberRunToDigits(run));
    i = j;
  }
  return out;
}

/** One run of number words → one or more digit tokens. */
function numberRunToDigits(run: readonly string[]): string[] {
  // Spoken years: two groups each 10..99 ("nineteen fifty three", "twenty twenty").
  const groups = twoDigitGroups(run);
  if (groups && groups.length === 2 && groups[0]! >= 10) return [`${groups[0]}${String(groups[1]).padStart(2, '0')}`];
  let total = 0;
  let current = 0;
  let any = false;
  const out: string[] = [];
  for (const w of run) {
    if (w in UNITS || w in TENS) {
      const v = UNITS[w] ?? TENS[w]!;
      // "five six" is two numbers, not eleven: a unit after a unit starts a new number.
      if (any && current % 10 !== 0 && v < 10 && current !== 0) {
        out.push(String(total + current));
        total = 0;
        current = 0;
      }
      current += v;
      any = true;
    } else {
      const scale = SCALES[w]!;
      if (scale === 100) current = (current || 1) * 100;
      else {
        total += (current || 1) * scale;
        current = 0;
      }
      any = true;
    }
  }
  if (any) out.push(String(total + current));
  return out;
}

/** Splits a run with no scale words into values 10..99 ("nineteen", "fifty three"), or undefined. */
function twoDigitGroups(run: readonly string[]): number[] | undefined {
  const groups: number[] = [];
  let i = 0;
  while (i < run.length) {
    const w = run[i]!;
    if (w in SCALES) return undefined;
    if (w in TENS) {
      const next = run[i + 1];
      if (next !== undefined && next in UNITS && UNITS[next]! > 0 && UNITS[next]! < 10) {
        groups.push(TENS[w]! + UNITS[next]!);
        i += 2;
      } else {
        groups.push(TENS[w]!);
        i += 1;
      }
    } else if (UNITS[w]! >= 10) {
      groups.push(UNITS[w]!);
      i += 1;
    } else return undefined;
  }
  return groups;
}

/**
 * The normalised form of an answer, used for equivalence: strip "A:" labels and trailing
 * periods, lower-case, drop punctuation and the articles a/an/the, turn number words and
 * separated digits into plain digits, and squeeze whitespace. "A: The City of London." and
 * "city of london" are equal; "1,953", "1953" and "nineteen fifty-three" are equal.
 */
export function normalizeAnswer(text: string): string {
  const stripped = stripAnswerPrefix(text).trim().replace(/\.+$/, '');
  const tokens = numberWordsToDigits(wordTokens(stripped)).filter((t) => !ARTICLES.has(t));
  return tokens.join(' ');
}

/** Word tokens of an answer after the same normalisation as `normalizeAnswer`. */
export function answerTokens(text: string): string[] {
  const n = normalizeAnswer(text);
  return n.length > 0 ? n.split(' ') : [];
}
