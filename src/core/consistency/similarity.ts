/**
 * Lexical similarity between answers: token F1 (SQuAD's answer overlap) and ROUGE-L (the
 * F-measure of the longest common subsequence, Lin 2004). Both take token arrays, so callers
 * choose the tokenizer; the string forms normalise with `answerTokens` first.
 */
import { answerTokens } from './normalize';

/** Harmonic mean of precision and recall of the shared tokens (a multiset overlap). */
export function tokenF1Tokens(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 && b.length === 0) return 1;
  if (a.length === 0 || b.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const t of a) counts.set(t, (counts.get(t) ?? 0) + 1);
  let common = 0;
  for (const t of b) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      common++;
      counts.set(t, c - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / b.length;
  const recall = common / a.length;
  return (2 * precision * recall) / (precision + recall);
}

/** Length of the longest common subsequence, in O(|a|·|b|) time and O(|b|) memory. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  let prev = new Uint32Array(b.length + 1);
  let row = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    const ai = a[i - 1];
    for (let j = 1; j <= b.length; j++) {
      row[j] = ai === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, row[j - 1]!);
    }
    [prev, row] = [row, prev];
  }
  return prev[b.length]!;
}

/** ROUGE-L F1: LCS-based precision and recall, combined with equal weight. */
export function rougeLTokens(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 && b.length === 0) return 1;
  const lcs = lcsLength(a, b);
  if (lcs === 0) return 0;
  const precision = lcs / b.length;
  const recall = lcs / a.length;
  return (2 * precision * recall) / (precision + recall);
}

/** Token F1 between two answers after normalisation ("A: London." vs "london, England" → 0.67). */
export function tokenF1(a: string, b: string): number {
  return tokenF1Tokens(answerTokens(a), answerTokens(b));
}

/** ROUGE-L F1 between two answers after normalisation. */
export function rougeL(a: string, b: string): number {
  return rougeLTokens(answerTokens(a), answerTokens(b));
}

export type SimilarityName = 'token_f1' | 'rouge_l';

export function similarityOf(name: SimilarityName): (a: readonly string[], b: readonly string[]) => number {
  return name === 'rouge_l' ? rougeLTokens : tokenF1Tokens;
}
