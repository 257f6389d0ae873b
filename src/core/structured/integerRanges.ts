/**
 * XGrammar turns an integer's minimum/maximum into a grammar of digit strings, and that grammar is
 * right for some ranges and wrong for others (1900–1999 holds; 1776–1864 lets any 1xxx through).
 * Trusting it blindly lets invalid output through; distrusting it always costs the second engine's
 * mask on every token (~1 ms at 151,936 tokens) for the most common bounded schema there is, a year.
 *
 * So each bounded integer is checked before it is trusted: XGrammar compiles the integer alone
 * against a vocabulary of single characters, and a depth-first walk visits every string its
 * grammar allows. The range holds when every string it lets finish is a canonical integer inside
 * the bounds. The grammar depends on the schema,
 * not the vocabulary, so the verdict carries over to the model's tokenizer. Ranges too wide to
 * walk (more than MAX_VALUES integers) are not trusted.
 */
import type { ConstraintEngine, ConstraintVocab, TokenMatcher } from './engines/types';

export interface IntegerRange {
  min: number;
  max: number;
}

/** 1 + 10 + 100 + … prefixes: a range of 20,000 integers walks about 22,000 grammar states. */
const MAX_VALUES = 20_000;

const CHARACTERS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '-', '+', '.', 'e', 'E', ' ', '"', ',', '}'];
const STOP = CHARACTERS.length;

/** A raw vocabulary of single characters and one stop token, for the walk. */
export const PROBE_VOCAB: ConstraintVocab = {
  encodedTokens: [...CHARACTERS, '<stop>'],
  vocabType: 'raw',
  vocabSize: CHARACTERS.length + 1,
  eosTokenIds: [STOP],
  tokenizerJson: {},
};

/**
 * The inclusive integer range a subschema's bounds give, when it is an integer with bounds on
 * both sides; undefined otherwise (one-sided bounds have no end to walk to).
 */
export function integerRangeOf(node: Record<string, unknown>): IntegerRange | undefined {
  if (node.type !== 'integer') return undefined;
  const num = (key: string) => (typeof node[key] === 'number' && Number.isFinite(node[key]) ? (node[key] as number) : undefined);
  const lows = [num('minimum') === undefined ? undefined : Math.ceil(num('minimum')!), num('exclusiveMinimum') === undefined ? undefined : Math.floor(num('exclusiveMinimum')!) + 1];
  const highs = [num('maximum') === undefined ? undefined : Math.floor(num('maximum')!), num('exclusiveMaximum') === undefined ? undefined : Math.ceil(num('exclusiveMaximum')!) - 1];
  const defined = (xs: (number | undefined)[]) => xs.filter((x): x is number => x !== undefined);
  if (defined(lows).length === 0 || defined(highs).length === 0) return undefined;
  return { min: Math.max(...defined(lows)), max: Math.min(...defined(highs)) };
}

/** Only the keywords that shape the integer's grammar: the walk checks those and nothing else. */
export function boundsSchema(node: Record<string, unknown>): Record<string, unknown> {
  const schema: Record<string, unknown> = { type: 'integer' };
  for (const key of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']) if (key in node) schema[key] = node[key];
  return schema;
}

/**
 * True when XGrammar's grammar for `schema` (an integer with bounds, from boundsSchema) allows
 * exactly the canonical decimal integers in `range`. `engine` is an XGrammar engine built on
 * PROBE_VOCAB.
 */
export async function xgrammarHoldsRange(engine: ConstraintEngine, schema: Record<string, unknown>, range: IntegerRange): Promise<boolean> {
  if (range.min > range.max || range.max - range.min + 1 > MAX_VALUES) return false;
  if (!Number.isSafeInteger(range.min) || !Number.isSafeInteger(range.max)) return false;
  const compiled = await engine.compile(schema);
  const matcher = await compiled.createMatcher();
  try {
    if (!matcher.rollBack) return false;
    const maxLength = Math.max(String(range.min).length, String(range.max).length);
    const finished = new Set<number>();
    // Soundness is what matters: a grammar narrower than the range still gives valid output, and
    // the second engine's mask could only narrow it further. At least one value must finish.
    return (await walk(matcher as ProbeMatcher, '', maxLength, range, finished)) && finished.size > 0;
  } finally {
    matcher.dispose();
    compiled.dispose();
  }
}

/** Visits every string the grammar allows from `prefix`; false at the first one outside the range. */
async function walk(matcher: ProbeMatcher, prefix: string, maxLength: number, range: IntegerRange, finished: Set<number>): Promise<boolean> {
  const row = new Float32Array(PROBE_VOCAB.vocabSize);
  await matcher.mask(row);
  if (row[STOP] !== -Infinity) {
    if (!/^-?(0|[1-9][0-9]*)$/.test(prefix)) return false;
    const value = Number(prefix);
    if (value < range.min || value > range.max) return false;
    finished.add(value);
  }
  for (let t = 0; t < CHARACTERS.length; t++) {
    if (row[t] === -Infinity) continue;
    const next = prefix + CHARACTERS[t];
    // Only digits and a leading minus can belong to an integer, and none longer than the bounds.
    if (!/^-?[0-9]*$/.test(next) || next.length > maxLength) return false;
    if (!matcher.accept(t)) return false;
    const sound = await walk(matcher, next, maxLength, range, finished);
    matcher.rollBack(1);
    if (!sound) return false;
  }
  return true;
}

/** An XGrammar matcher can step back; the walk needs that to visit each state once. */
type ProbeMatcher = TokenMatcher & { rollBack(tokens: number): void };
