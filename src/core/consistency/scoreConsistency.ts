/**
 * The self-consistency check: a main answer and N samples of the same prompt in, a hallucination
 * risk with its evidence out. The extension, the CLI and the tests all call `scoreConsistency`.
 */
import { clusterAnswers, findCluster, type AnswerCluster, type ClusterOptions, type Clustering } from './cluster';
import { stripAnswerPrefix } from './normalize';
import { assessRisk, explainRisk, riskParts, type Calibration, type RiskLevel, type RiskParts } from './risk';
import { sentenceRisks } from './sentenceSupport';
import { splitSentences, type SentenceSpan } from './sentences';

export class ConsistencyError extends Error {
  override readonly name = 'ConsistencyError';
}

export interface ConsistencyInput {
  /** The answer being checked (greedy by default) and its tokens' log-probs under the raw distribution. */
  main: { text: string; tokenLogprobs: readonly number[] };
  /** N ≥ 2 stochastic completions of the same prompt. */
  samples: readonly string[];
  /** The prompt, used only to word the explanation ("name a different city"). */
  prompt?: string;
  /** The model's own calibration; absent = uncalibrated (raw parts, no band). */
  calibration?: Calibration;
  cluster?: ClusterOptions;
  /**
   * Clusters made elsewhere (by meaning, with an NLI model: semantic.ts) in place of the lexical
   * default, with the cluster the main answer falls in (-1: none).
   */
  clustering?: { clustering: Clustering; mainCluster: number };
  /** Sentence risks made elsewhere (SelfCheckGPT-NLI or -Prompt), one per sentence of the main answer, in place of lexical support. */
  sentenceSupport?: ReadonlyArray<{ risk: number; weakestWords?: readonly string[] }>;
}

export interface SentenceRisk extends SentenceSpan {
  /** In [0, 1]; higher = less backed by the samples. */
  risk: number;
  /** Content words most samples do not state, worst first. */
  weakestWords: string[];
}

export interface ConsistencyResult {
  /** Clusters of the samples (indices into `samples`), largest first. */
  clusters: AnswerCluster[];
  /** The cluster the main answer falls in, or -1 when no sample agrees with it. */
  mainCluster: number;
  /** Share of samples in the main answer's cluster. */
  agreement: number;
  majorityShare: number;
  /** Entropy over sample clusters, in nats (natural log). */
  entropy: number;
  /** `entropy` over ln N, in [0, 1]. */
  normalizedEntropy: number;
  /** The main answer's sentences, with offsets into `main.text`. */
  sentences: SentenceRisk[];
  /** Mean and lowest token log-prob of the main answer (the Avg(−logP) and Max(−logP) baselines, negated). */
  meanLogprob: number;
  minLogprob: number;
  /** The parts of the risk, each in [0, 1], larger = riskier. */
  parts: RiskParts;
  /** Calibrated: P(wrong) at even odds under the model's calibration; uncalibrated: the mean of the sample parts. */
  risk: number;
  /** Low / Medium / High, or 'uncalibrated' when the model has no calibration. */
  band: RiskLevel;
  calibrated: boolean;
  explanation: string;
  /** N, the number of samples. */
  samples: number;
}

/** The main answer's sentences as the check scores them ("A:" labels dropped), with offsets into `text`. */
export function answerSentences(text: string): SentenceSpan[] {
  const body = stripAnswerPrefix(text);
  const offset = text.length - body.length;
  return splitSentences(body).map((s) => ({ ...s, start: s.start + offset, end: s.end + offset }));
}

export function scoreConsistency(input: ConsistencyInput): ConsistencyResult {
  const { main, samples } = input;
  if (!Array.isArray(samples) || samples.length < 2) {
    const n = Array.isArray(samples) ? samples.length : 0;
    throw new ConsistencyError(
      `Need at least 2 samples to measure agreement (got ${n}). Raise the number of samples and run the check again.`,
    );
  }
  if (typeof main?.text !== 'string' || main.text.trim().length === 0) {
    throw new ConsistencyError('The main answer is empty, so there is nothing to check. Select a prompt the model answers, and run again.');
  }
  const spans = answerSentences(main.text);
  if (spans.length === 0) {
    throw new ConsistencyError(
      `The main answer ${JSON.stringify(clip(main.text))} has no sentences to score (no letters or digits). Try a prompt that asks for a worded answer.`,
    );
  }
  const logprobs = main.tokenLogprobs ?? [];
  if (logprobs.length === 0) {
    // The calibrated score leans on the model's confidence; without it the score would be a guess.
    throw new ConsistencyError("The main answer's token log-probs are missing; the risk score needs them. Generate the main answer with the model (not pasted text).");
  }
  if (logprobs.some((l) => typeof l !== 'number' || Number.isNaN(l) || l > 1e-6)) {
    throw new ConsistencyError('Token log-probs must be numbers ≤ 0 (log-probabilities), one per generated token.');
  }

  const clusterOptions = input.cluster ?? {};
  const clustering = input.clustering?.clustering ?? clusterAnswers(samples, clusterOptions);
  const mainCluster = input.clustering ? input.clustering.mainCluster : findCluster(main.text, clustering, samples, clusterOptions);
  const agreeing = mainCluster >= 0 ? clustering.clusters[mainCluster]!.size : 0;
  const agreement = agreeing / samples.length;

  if (input.sentenceSupport && input.sentenceSupport.length !== spans.length) {
    throw new ConsistencyError(`Sentence support was given for ${input.sentenceSupport.length} sentences but the main answer has ${spans.length}.`);
  }
  const support = input.sentenceSupport ?? sentenceRisks(
    spans.map((s) => s.text),
    samples.map((s) => stripAnswerPrefix(s)),
  );
  const sentences: SentenceRisk[] = spans.map((s, i) => ({ ...s, risk: support[i]!.risk, weakestWords: [...(support[i]!.weakestWords ?? [])] }));
  const sentenceValues = sentences.map((s) => s.risk);

  // −Infinity (a token the raw distribution gave no mass, e.g. forced by a constraint) is left
  // out of the mean but is the minimum: the weakest token then has probability 0.
  const finite = logprobs.filter((l) => Number.isFinite(l));
  const meanLogprob = finite.length > 0 ? finite.reduce((a, b) => a + b, 0) / finite.length : -Infinity;
  const minLogprob = Math.min(...logprobs);

  const parts = riskParts({ agreement, normalizedEntropy: clustering.normalizedEntropy, sentenceRisks: sentenceValues, meanLogprob, minLogprob });
  const { risk, band } = assessRisk(parts, input.calibration);
  const explanation = explainRisk({
    samples: samples.length,
    agreeing,
    clusters: clustering.clusters.length,
    sentences,
    band,
    minLogprob,
    prompt: input.prompt,
  });
  return {
    clusters: clustering.clusters,
    mainCluster,
    agreement,
    majorityShare: clustering.majorityShare,
    entropy: clustering.entropy,
    normalizedEntropy: clustering.normalizedEntropy,
    sentences,
    meanLogprob,
    minLogprob,
    parts,
    risk,
    band,
    calibrated: input.calibration !== undefined,
    explanation,
    samples: samples.length,
  };
}

function clip(text: string, max = 40): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
