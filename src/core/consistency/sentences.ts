/**
 * A rule-based sentence splitter that keeps abbreviations, initials and decimals whole
 * ("Dr. Smith", "the U.S. team", "a 3.5 ERA", "J. R. R. Tolkien"). Offsets point into the
 * original text, so an editor can highlight each sentence where it stands.
 */

export interface SentenceSpan {
  /** The sentence, without surrounding whitespace. */
  text: string;
  /** Offset of its first character in the original text. */
  start: number;
  /** Offset just past its last character (exclusive). */
  end: number;
}

/** Titles written before a name: a period after one never ends a sentence ("Dr. Smith"). */
const TITLES = new Set([
  'mr', 'mrs', 'ms', 'dr', 'prof', 'st', 'mt', 'ft', 'gen', 'col', 'lt', 'sgt', 'capt', 'cpt', 'cmdr', 'adm',
  'maj', 'rev', 'hon', 'gov', 'sen', 'rep', 'pres', 'supt', 'fr', 'sr', 'sra', 'no', 'nos', 'vol', 'vols',
  'pp', 'p', 'fig', 'vs', 'v', 'cf', 'ca', 'c', 'approx', 'b', 'd', 'fl', 'r', 'jan', 'feb', 'mar', 'apr',
  'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec', 'e.g', 'i.e', 'op', 'ed', 'eds', 'est', 'dept',
  'univ', 'assn', 'bros', 'ave', 'blvd', 'rd',
]);

/**
 * Abbreviations that also end sentences ("... George Lodge, Jr." then "He ..."): a period after
 * one, or after an initial or a dotted acronym (U.S., Ph.D.), ends a sentence only when the next
 * word is a typical sentence opener.
 */
const CLOSERS = new Set(['jr', 'sr', 'inc', 'ltd', 'co', 'corp', 'plc', 'llc', 'etc', 'al', 'esq', 'bros']);

/** Words that commonly open an English sentence (pronouns, determiners, prepositions, connectives). */
const OPENERS = new Set([
  'he', 'she', 'it', 'they', 'we', 'i', 'you', 'the', 'a', 'an', 'this', 'that', 'these', 'those', 'his', 'her',
  'its', 'their', 'our', 'my', 'in', 'on', 'at', 'after', 'before', 'during', 'following', 'later', 'when',
  'while', 'as', 'from', 'by', 'for', 'with', 'there', 'then', 'however', 'although', 'though', 'since',
  'despite', 'throughout', 'today', 'currently', 'also', 'both', 'between', 'upon', 'born', 'under', 'over',
  'some', 'many', 'most', 'one', 'each', 'her', 'him', 'it', 'if', 'but', 'and', 'so', 'yet', 'until', 'outside',
]);

const CLOSING = `"'”’)]}»`;

/** Splits text into sentences: at . ! ? (and closing quotes/brackets after them) before a capital, digit or quote, and at line breaks. */
export function splitSentences(text: string): SentenceSpan[] {
  const spans: SentenceSpan[] = [];
  let start = 0;
  const push = (from: number, to: number) => {
    let a = from;
    let b = to;
    while (a < b && /\s/.test(text[a]!)) a++;
    while (b > a && /\s/.test(text[b - 1]!)) b--;
    // A fragment with no letter or digit ("...", "—") is not a sentence.
    if (b > a && /[\p{L}\p{N}]/u.test(text.slice(a, b))) spans.push({ text: text.slice(a, b), start: a, end: b });
  };

  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '\n') {
      // A line break ends a sentence (paragraphs, list items), with or without punctuation.
      push(start, i);
      while (i < text.length && /\s/.test(text[i]!)) i++;
      start = i;
      continue;
    }
    if (ch === '.' || ch === '!' || ch === '?' || ch === '…') {
      let end = i + 1;
      while (end < text.length && (text[end] === '.' || text[end] === '!' || text[end] === '?')) end++;
      while (end < text.length && CLOSING.includes(text[end]!)) end++;
      if (end >= text.length) {
        i = end;
        continue;
      }
      if (!/\s/.test(text[end]!)) {
        // "3.5", "U.S.", "example.com": no space, no boundary.
        i = end;
        continue;
      }
      let next = end;
      while (next < text.length && /[ \t\r\f\v]/.test(text[next]!)) next++;
      if (next >= text.length || text[next] === '\n') {
        i = next;
        continue;
      }
      if (ch === '.' && end === i + 1 && !periodEndsSentence(text, i, next)) {
        i = end;
        continue;
      }
      if (!/[\p{Lu}\p{N}"'“‘(\[]/u.test(text[next]!)) {
        i = end;
        continue;
      }
      push(start, end);
      start = next;
      i = next;
      continue;
    }
    i++;
  }
  push(start, text.length);
  return spans;
}

/** Decides whether the period at `dot` ends a sentence, given the next word starts at `next`. */
function periodEndsSentence(text: string, dot: number, next: number): boolean {
  // The word before the period, including inner periods ("U.S", "Ph.D", "e.g").
  let w = dot;
  while (w > 0 && /[\p{L}\p{N}.]/u.test(text[w - 1]!)) w--;
  const before = text.slice(w, dot);
  const lower = before.toLowerCase();
  const nextWord = (/^[\p{L}]+/u.exec(text.slice(next)) ?? [''])[0].toLowerCase();
  if (TITLES.has(lower)) return false;
  // A list marker at the start of a line ("1. First step") opens a sentence, not ends one.
  if (/^\d{1,3}$/.test(before) && /(?:^|\n)[ \t]*$/.test(text.slice(0, w))) return false;
  const initial = /^\p{Lu}$/u.test(before);
  const dotted = /^(?:\p{L}{1,3}\.)+\p{L}{1,3}$/u.test(before);
  if (initial || dotted || CLOSERS.has(lower)) return OPENERS.has(nextWord);
  return true;
}
