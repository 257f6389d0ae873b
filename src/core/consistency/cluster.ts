/**
 * Answer-level agreement: group sampled answers that say the same thing and measure how spread
 * the samples are. Semantic entropy (Kuhn, Gal and Farquhar, 2023) clusters by meaning with an
 * NLI model; here clusters are lexical (normalised equality, then token F1 or ROUGE-L above a
 * threshold), so no second model is needed.
 */
import { answerTokens, normalizeAnswer } from './normalize';
import { similarityOf, type SimilarityName } from './similarity';

export interface ClusterOptions {
  /** Two answers share a cluster when their similarity is at least this. Default 0.5. */
  threshold?: number;
  /** Default 'token_f1'. */
  similarity?: SimilarityName;
}

export interface AnswerCluster {
  /** Indices into the clustered answers, ascending. */
  members: number[];
  size: number;
  /** The normalised form that stands for the cluster (its largest equivalence class). */
  representative: string;
  /** An original answer from that class, for display. */
  example: string;
}

export interface Clustering {
  /** Largest first; ties keep the order of first appearance. */
  clusters: AnswerCluster[];
  /** Size of the largest cluster over the number of answers. */
  majorityShare: number;
  /** Entropy over cluster shares, in nats (natural log): −Σ pₖ ln pₖ. 0 when all agree. */
  entropy: number;
  /** Entropy over its maximum, ln(number of answers): 0 = all agree, 1 = all differ. */
  normalizedEntropy: number;
}

interface EquivalenceClass {
  key: string;
  tokens: string[];
  members: number[];
}

/**
 * Clusters answers deterministically: first by equality of normalised form, then greedily:
 * equivalence classes, largest first, join the existing cluster whose representative is most
 * similar (at least `threshold`), or start a new one. Ties go to the earlier cluster.
 */
export function clusterAnswers(answers: readonly string[], options: ClusterOptions = {}): Clustering {
  const threshold = options.threshold ?? 0.5;
  const similarity = similarityOf(options.similarity ?? 'token_f1');
  const byKey = new Map<string, EquivalenceClass>();
  answers.forEach((answer, i) => {
    const key = normalizeAnswer(answer);
    let cls = byKey.get(key);
    if (!cls) {
      cls = { key, tokens: answerTokens(answer), members: [] };
      byKey.set(key, cls);
    }
    cls.members.push(i);
  });
  const classes = [...byKey.values()].sort((a, b) => b.members.length - a.members.length || a.members[0]! - b.members[0]!);

  const groups: Array<{ head: EquivalenceClass; members: number[] }> = [];
  for (const cls of classes) {
    let best = -1;
    let bestSimilarity = -1;
    groups.forEach((g, gi) => {
      // An empty answer only ever matches another empty answer (same key, handled above).
      if (cls.tokens.length === 0 || g.head.tokens.length === 0) return;
      const s = similarity(g.head.tokens, cls.tokens);
      if (s >= threshold && s > bestSimilarity) {
        best = gi;
        bestSimilarity = s;
      }
    });
    if (best >= 0) groups[best]!.members.push(...cls.members);
    else groups.push({ head: cls, members: [...cls.members] });
  }

  const clusters: AnswerCluster[] = groups
    .map((g) => {
      const members = [...g.members].sort((a, b) => a - b);
      return { members, size: members.length, representative: g.head.key, example: answers[g.head.members[0]!]!.trim() };
    })
    .sort((a, b) => b.size - a.size || a.members[0]! - b.members[0]!);
  const n = answers.length;
  const entropy = clusterEntropy(clusters.map((c) => c.size));
  return {
    clusters,
    majorityShare: n > 0 ? clusters[0]!.size / n : 0,
    entropy,
    normalizedEntropy: n > 1 ? entropy / Math.log(n) : 0,
  };
}

/** −Σ pₖ ln pₖ with pₖ = sizeₖ / Σ sizes, in nats. */
export function clusterEntropy(sizes: readonly number[]): number {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  let h = 0;
  for (const s of sizes) {
    if (s > 0) {
      const p = s / total;
      h -= p * Math.log(p);
    }
  }
  // −0 reads oddly in reports.
  return h === 0 ? 0 : h;
}

/**
 * The cluster an answer (the main one) belongs to, by the same rule as `clusterAnswers`: equal
 * normalised form, else the most similar representative at or above the threshold. -1 if none.
 */
export function findCluster(answer: string, clustering: Clustering, answers: readonly string[], options: ClusterOptions = {}): number {
  const threshold = options.threshold ?? 0.5;
  const similarity = similarityOf(options.similarity ?? 'token_f1');
  const key = normalizeAnswer(answer);
  const tokens = answerTokens(answer);
  const exact = clustering.clusters.findIndex((c) => c.members.some((m) => normalizeAnswer(answers[m]!) === key));
  if (exact >= 0) return exact;
  if (tokens.length === 0) return -1;
  let best = -1;
  let bestSimilarity = -1;
  clustering.clusters.forEach((c, ci) => {
    const head = c.representative.length > 0 ? c.representative.split(' ') : [];
    if (head.length === 0) return;
    const s = similarity(head, tokens);
    if (s >= threshold && s > bestSimilarity) {
      best = ci;
      bestSimilarity = s;
    }
  });
  return best;
}
