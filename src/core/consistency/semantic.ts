/**
 * Agreement by meaning, when the user has a model for it (lexical matching stays the default):
 * - NLI: answers clustered by bidirectional entailment, so the cluster entropy is semantic
 *   entropy (Farquhar et al., Nature 2024), and SelfCheckGPT-NLI sentence support: a sentence's
 *   risk is the mean over samples of P(contradiction) / (P(entailment) + P(contradiction)),
 *   with the sample as premise (Manakul et al., 2023).
 * - Prompt: SelfCheckGPT-Prompt with the user's own instruct model as the judge: "Is the
 *   sentence supported by the context above? Answer Yes or No", read as P(No) / (P(Yes) + P(No)).
 * The judges are interfaces; the Node side loads an NLI cross-encoder (node/nliModel.ts), and
 * `causalLmYesNo` turns any CausalLM into a Yes/No judge.
 */
import type { CausalLM } from '../model/types';
import { clusterEntropy, type AnswerCluster, type Clustering } from './cluster';
import { normalizeAnswer, stripAnswerPrefix } from './normalize';
import { answerSentences } from './scoreConsistency';

export interface NliProbabilities {
  entailment: number;
  neutral: number;
  contradiction: number;
}

/** An NLI cross-encoder: label probabilities for (premise, hypothesis) pairs, in order. */
export interface NliJudge {
  readonly name: string;
  classify(pairs: ReadonlyArray<readonly [premise: string, hypothesis: string]>): Promise<NliProbabilities[]>;
}

/** A judge that answers a Yes/No question: P(Yes) and P(No) of the next token. */
export interface YesNoJudge {
  readonly name: string;
  yesNo(prompt: string): Promise<{ yes: number; no: number }>;
}

/** The NLI label decides: entailment when it is the most probable of the three (Farquhar et al.'s rule). */
export function entails(p: NliProbabilities): boolean {
  return p.entailment > p.neutral && p.entailment > p.contradiction;
}

/**
 * Clusters answers by bidirectional entailment, given `same(i, j)` (i entails j and j entails i):
 * each answer joins the first cluster whose first member it is equivalent to, else starts one,
 * as in semantic entropy's clustering. Index `answers.length` may stand for the main answer.
 */
export function clusterByEquivalence(answers: readonly string[], same: (i: number, j: number) => boolean): Clustering {
  const groups: number[][] = [];
  answers.forEach((_, i) => {
    const group = groups.find((g) => same(g[0]!, i));
    if (group) group.push(i);
    else groups.push([i]);
  });
  const clusters: AnswerCluster[] = groups
    .map((members) => ({ members, size: members.length, representative: normalizeAnswer(answers[members[0]!]!), example: answers[members[0]!]!.trim() }))
    .sort((a, b) => b.size - a.size || a.members[0]! - b.members[0]!);
  const n = answers.length;
  const entropy = clusterEntropy(clusters.map((c) => c.size));
  return { clusters, majorityShare: n > 0 ? clusters[0]!.size / n : 0, entropy, normalizedEntropy: n > 1 ? entropy / Math.log(n) : 0 };
}

/** The entailment matrix over texts: m[i][j] = P(texts[i] entails texts[j]); the diagonal is not asked. */
export async function entailmentMatrix(judge: NliJudge, texts: readonly string[]): Promise<NliProbabilities[][]> {
  const pairs: Array<[string, string]> = [];
  const where: Array<[number, number]> = [];
  texts.forEach((a, i) => texts.forEach((b, j) => {
    if (i !== j) {
      pairs.push([a, b]);
      where.push([i, j]);
    }
  }));
  const probs = pairs.length > 0 ? await judge.classify(pairs) : [];
  const self: NliProbabilities = { entailment: 1, neutral: 0, contradiction: 0 };
  const m = texts.map(() => texts.map(() => self));
  where.forEach(([i, j], k) => (m[i]![j] = probs[k]!));
  return m;
}

/**
 * Semantic clusters of the samples and the cluster the main answer falls in (-1: none), from
 * one entailment matrix over the samples and the main answer (the last row). Identical texts
 * are asked once.
 */
export async function semanticClustering(judge: NliJudge, main: string, samples: readonly string[]): Promise<{ clustering: Clustering; mainCluster: number }> {
  const texts = [...samples, main].map((t) => stripAnswerPrefix(t).trim());
  const distinct = [...new Set(texts)];
  const m = await entailmentMatrix(judge, distinct);
  const index = texts.map((t) => distinct.indexOf(t));
  const same = (i: number, j: number) => entails(m[index[i]!]![index[j]!]!) && entails(m[index[j]!]![index[i]!]!);
  const clustering = clusterByEquivalence(samples, same);
  const mainIndex = samples.length;
  const mainCluster = clustering.clusters.findIndex((c) => same(c.members[0]!, mainIndex));
  return { clustering, mainCluster };
}

/** SelfCheckGPT-NLI: per sentence, the mean over samples of P(contradict) / (P(entail) + P(contradict)). */
export async function nliSentenceSupport(judge: NliJudge, sentences: readonly string[], samples: readonly string[]): Promise<Array<{ risk: number }>> {
  const premises = samples.map((s) => stripAnswerPrefix(s).trim());
  const pairs = sentences.flatMap((s) => premises.map((p) => [p, s] as const));
  const probs = await judge.classify(pairs);
  return sentences.map((_, i) => {
    const mine = probs.slice(i * premises.length, (i + 1) * premises.length);
    const scores = mine.map((p) => p.contradiction / Math.max(1e-12, p.entailment + p.contradiction));
    return { risk: scores.reduce((a, b) => a + b, 0) / Math.max(1, scores.length) };
  });
}

/** SelfCheckGPT-Prompt's question, as the paper words it. */
export function supportPrompt(context: string, sentence: string): string {
  return `Context: ${context.trim()}\n\nSentence: ${sentence.trim()}\n\nIs the sentence supported by the context above? Answer Yes or No.\n\nAnswer:`;
}

/** SelfCheckGPT-Prompt: per sentence, the mean over samples of P(No) / (P(Yes) + P(No)). */
export async function promptSentenceSupport(judge: YesNoJudge, sentences: readonly string[], samples: readonly string[]): Promise<Array<{ risk: number }>> {
  const out: Array<{ risk: number }> = [];
  for (const sentence of sentences) {
    let total = 0;
    for (const sample of samples) {
      const { yes, no } = await judge.yesNo(supportPrompt(stripAnswerPrefix(sample), sentence));
      total += no / Math.max(1e-12, yes + no);
    }
    out.push({ risk: total / Math.max(1, samples.length) });
  }
  return out;
}

/**
 * Any CausalLM as a Yes/No judge: the next-token probabilities of "Yes" and "No" (each with and
 * without a leading space, summed) after the prompt. An instruct model's chat template, if it
 * needs one, goes into the prompt before this is called.
 */
export function causalLmYesNo(model: CausalLM): YesNoJudge {
  const first = (text: string) => model.encode(text)[0];
  const ids = (words: string[]) => [...new Set(words.map(first).filter((t): t is number => t !== undefined))];
  const yesIds = ids(['Yes', ' Yes']);
  const noIds = ids(['No', ' No']);
  return {
    name: model.name,
    async yesNo(prompt: string) {
      const { logits, cache } = await model.forward([model.encodePrompt(prompt)], null);
      model.disposeCache(cache);
      let max = -Infinity;
      for (let i = 0; i < model.vocabSize; i++) if (logits[i]! > max) max = logits[i]!;
      let z = 0;
      for (let i = 0; i < model.vocabSize; i++) z += Math.exp(logits[i]! - max);
      const p = (list: number[]) => list.reduce((s, t) => s + Math.exp(logits[t]! - max) / z, 0);
      return { yes: p(yesIds), no: p(noIds) };
    },
  };
}

export type AgreementMethod = 'lexical' | 'nli' | 'prompt';

/**
 * What scoreConsistency takes in place of its lexical defaults: NLI clusters and NLI sentence
 * support, or (prompt) the lexical clusters with SelfCheckGPT-Prompt sentence support.
 */
export async function semanticEvidence(
  method: { nli?: NliJudge; judge?: YesNoJudge },
  main: string,
  samples: readonly string[],
): Promise<{ clustering?: Awaited<ReturnType<typeof semanticClustering>>; sentenceSupport?: Array<{ risk: number }> }> {
  const sentences = answerSentences(main).map((s) => s.text);
  if (sentences.length === 0) return {};
  if (method.nli) return { clustering: await semanticClustering(method.nli, main, samples), sentenceSupport: await nliSentenceSupport(method.nli, sentences, samples) };
  if (method.judge) return { sentenceSupport: await promptSentenceSupport(method.judge, sentences, samples) };
  return {};
}
