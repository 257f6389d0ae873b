/**
 * Sentence-level support, SelfCheckGPT style (Manakul et al., 2023): a sentence of the main
 * answer that the other samples do not repeat is likely made up. Two scorers:
 * - `unigramMaxScores`: SelfCheckGPT's unigram (max) baseline, exactly as the benchmark defines
 *   it: a unigram model fitted on the main passage plus the samples with add-one smoothing; a
 *   sentence's score is the max over its tokens of −log p.
 * - `sentenceRisks`: this project's scorer, in [0, 1]: lexical support of each content word by
 *   the samples, in context. See its comment for the parts.
 */
import { numberWordsToDigits, wordTokens } from './normalize';
import { splitSentences } from './sentences';

/**
 * Tokens as spaCy's English tokenizer roughly makes them, lower-cased: words, numbers with their
 * separators ("1,953", "3.90"), clitics split off ("Queen's" → "queen", "'s") and every other
 * non-space character on its own. SelfCheckGPT tokenizes with spaCy; this is the closest rule
 * set without a model, and documented as such in EVAL.md.
 */
export function spacyLikeTokens(text: string): string[] {
  const out: string[] = [];
  const re = /\d+(?:[.,:]\d+)*|[\p{L}\p{M}]+(?=n['’]t\b)|n['’]t\b|['’](?:s|re|ve|ll|d|m)\b|[\p{L}\p{M}\p{N}]+|[^\s]/giu;
  for (const m of text.normalize('NFKC').matchAll(re)) out.push(m[0].toLowerCase());
  return out;
}

/** Counts of a unigram model; `<unk>` is in the vocabulary with count 0, as SelfCheckGPT's. */
export interface UnigramModel {
  counts: Map<string, number>;
  tokenCount: number;
}

export function fitUnigram(texts: readonly string[], tokenize: (t: string) => string[] = spacyLikeTokens): UnigramModel {
  const counts = new Map<string, number>([['<unk>', 0]]);
  let tokenCount = 0;
  for (const text of texts) {
    for (const t of tokenize(text)) {
      counts.set(t, (counts.get(t) ?? 0) + 1);
      tokenCount++;
    }
  }
  return { counts, tokenCount };
}

/** −log p(token) with add-k smoothing: p = (count + k) / (tokens + k·|V|); unseen tokens count as `<unk>`. */
export function unigramNegLogProb(model: UnigramModel, token: string, k = 1): number {
  const count = model.counts.get(token) ?? 0;
  return -Math.log((count + k) / (model.tokenCount + k * model.counts.size));
}

/**
 * SelfCheckGPT's unigram (max) and unigram (avg) sentence scores (unbounded; higher = less
 * supported). The model is fitted on the main passage plus the samples, with add-one smoothing.
 */
export function unigramScores(
  sentences: readonly string[],
  mainPassage: string,
  samples: readonly string[],
): { max: number[]; avg: number[] } {
  const model = fitUnigram([...samples, mainPassage]);
  const max: number[] = [];
  const avg: number[] = [];
  for (const s of sentences) {
    const nlp = spacyLikeTokens(s).map((t) => unigramNegLogProb(model, t));
    max.push(nlp.length > 0 ? Math.max(...nlp) : 0);
    avg.push(nlp.length > 0 ? nlp.reduce((a, b) => a + b, 0) / nlp.length : 0);
  }
  return { max, avg };
}

export function unigramMaxScores(sentences: readonly string[], mainPassage: string, samples: readonly string[]): number[] {
  return unigramScores(sentences, mainPassage, samples).max;
}

/** Function words, which carry no fact: they never count as support or as risk. */
const STOPWORDS = new Set(
  ('a an the and or but nor so yet of in on at to for from by with without about as into onto over under ' +
    'after before during since until while between among through throughout against within upon via per ' +
    'is are was were be been being am has have had having do does did done will would shall should can could ' +
    'may might must also then than that this these those there here which who whom whose what when where why how ' +
    'he she it they we i you him her his hers its their theirs them us our ours my me your yours one ones ' +
    'not no all any both each few more most other some such only own same very just too s t ' +
    'well many much often later first known best became become becomes including include includes several ' +
    'up out off again further once if because although though however').split(/\s+/),
);

/** Lower-cased content words of a text: no stopwords, number words as digits, plurals folded. */
export function contentTokens(text: string): string[] {
  return numberWordsToDigits(wordTokens(text))
    .filter((t) => !STOPWORDS.has(t))
    .map(foldPlural);
}

/** A light fold so "awards"/"award" and "studies"/"study" match; numbers and short words stay. */
function foldPlural(t: string): string {
  if (t.length <= 3 || /\d/.test(t)) return t;
  if (t.endsWith('ies')) return t.slice(0, -3) + 'y';
  if (t.endsWith('s') && !t.endsWith('ss') && !t.endsWith('us') && !t.endsWith('is')) return t.slice(0, -1);
  return t;
}

/** What `sentenceRisks` reports for one sentence, so a panel or hover can say why. */
export interface SentenceSupport {
  /** Risk in [0, 1]: the sentence's own risk, pulled halfway toward its answer's mean. */
  risk: number;
  /** The sentence's own risk: 0.95 × its worst word's risk + 0.05 × its mean word risk. */
  ownRisk: number;
  /** Share of samples that do not state the sentence's least supported content word. */
  worstWordRisk: number;
  /** The same share, averaged over the sentence's content words. */
  meanWordRisk: number;
  /** Content words that most samples do not state, worst first (at most 3). */
  weakestWords: string[];
}

/** The scorer's fixed parameters, chosen on the even rows of WikiBio (tools/eval/wikibio-tuning.ts). */
export const SENTENCE_SCORER = {
  /** Weight of the mean word risk beside the worst word's (breaks ties among unsupported sentences). */
  meanWeight: 0.05,
  /** How far each sentence's risk is pulled toward its answer's mean risk. */
  passageWeight: 0.5,
} as const;

/** A sample as the scorer reads it: the content-word set of each of its sentences. */
function sampleSentenceSets(sample: string): Array<Set<string>> {
  return splitSentences(sample)
    .map((s) => new Set(contentTokens(s.text)))
    .filter((s) => s.size > 0);
}

/**
 * Scores each sentence of a main answer against N samples; risk in [0, 1], higher = less
 * supported (SelfCheckGPT's idea, with lexical support in place of its NLI or QA models).
 *
 * A content word w of sentence S is *stated in context* by a sample when one sentence of the
 * sample holds w together with at least one other content word of S (or just w, when S has no
 * other). A made-up date or place either never appears in the samples or appears beside other
 * facts, so the context test catches more than word presence (unigram) alone.
 * - word risk r(w) = share of samples that do not state w in context;
 * - own risk = 0.95 · max_w r(w) + 0.05 · mean_w r(w): a sentence is as weak as its weakest
 *   fact; the mean only orders sentences whose weakest words tie;
 * - risk = ½ · own + ½ · (mean own risk over the answer's sentences): an answer the samples
 *   contradict as a whole tends to be wrong throughout.
 */
export function sentenceRisks(
  sentences: readonly string[],
  samples: readonly string[],
  params: { meanWeight: number; passageWeight: number } = SENTENCE_SCORER,
): SentenceSupport[] {
  const sampleSets = samples.map(sampleSentenceSets);
  const n = Math.max(1, samples.length);
  const own = sentences.map((sentence) => {
    const words = [...new Set(contentTokens(sentence))];
    if (words.length === 0) return undefined;
    const risks = words.map((w) => {
      const needsContext = words.length > 1;
      let stated = 0;
      for (const sets of sampleSets) {
        const inContext = sets.some((set) => set.has(w) && (!needsContext || words.some((o) => o !== w && set.has(o))));
        if (inContext) stated++;
      }
      return 1 - stated / n;
    });
    const worst = Math.max(...risks);
    const meanRisk = risks.reduce((a, b) => a + b, 0) / risks.length;
    const weakestWords = words
      .map((w, i) => [w, risks[i]!] as const)
      .filter(([, r]) => r > 0.5)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([w]) => w);
    const ownRisk = (1 - params.meanWeight) * worst + params.meanWeight * meanRisk;
    return { ownRisk, worstWordRisk: worst, meanWordRisk: meanRisk, weakestWords };
  });
  const scored = own.filter((o) => o !== undefined);
  const answerMean = scored.length > 0 ? scored.reduce((s, o) => s + o.ownRisk, 0) / scored.length : 0;
  const w = params.passageWeight;
  // A sentence with no content word ("He did.") states no fact: it takes the answer's mean.
  return own.map((o) =>
    o === undefined
      ? { risk: answerMean, ownRisk: answerMean, worstWordRisk: 0, meanWordRisk: 0, weakestWords: [] }
      : { ...o, risk: (1 - w) * o.ownRisk + w * answerMean },
  );
}
