/**
 * Ranking and correlation metrics for evaluating risk scores. Pure functions over plain arrays;
 * in every ranking metric a higher score means "more likely positive".
 */

function checkPairs(scores: readonly number[], other: readonly unknown[], what: string): void {
  if (scores.length !== other.length) {
    throw new RangeError(`${what}: ${scores.length} scores but ${other.length} labels; they must pair up one to one.`);
  }
  if (scores.some((s) => !Number.isFinite(s))) throw new RangeError(`${what}: every score must be a finite number.`);
}

function countPositives(labels: readonly boolean[], what: string): number {
  const positives = labels.filter(Boolean).length;
  if (positives === 0 || positives === labels.length) {
    throw new RangeError(`${what} needs at least one positive and one negative label (got ${positives} of ${labels.length} positive).`);
  }
  return positives;
}

/**
 * Area under the ROC curve: the probability that a random positive scores above a random
 * negative, ties counting one half (the Mann–Whitney U statistic over n₊·n₋).
 */
export function auroc(scores: readonly number[], labels: readonly boolean[]): number {
  checkPairs(scores, labels, 'AUROC');
  const positives = countPositives(labels, 'AUROC');
  const negatives = labels.length - positives;
  const ranks = averageRanks(scores);
  let rankSum = 0;
  labels.forEach((l, i) => {
    if (l) rankSum += ranks[i]!;
  });
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** One point of the precision–recall curve per distinct score, highest threshold first. */
export interface PrPoint {
  threshold: number;
  precision: number;
  recall: number;
}

/**
 * The precision–recall curve as scikit-learn's `precision_recall_curve` builds it: predict
 * positive when score ≥ threshold, for every distinct score from the highest down.
 */
export function precisionRecallCurve(scores: readonly number[], labels: readonly boolean[]): PrPoint[] {
  checkPairs(scores, labels, 'Precision–recall curve');
  const positives = countPositives(labels, 'A precision–recall curve');
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const points: PrPoint[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (labels[i]) tp++;
    else fp++;
    const nextIndex = order[k + 1];
    // Tied scores share one threshold: emit the point after the last of them.
    if (nextIndex === undefined || scores[nextIndex] !== scores[i]) {
      points.push({ threshold: scores[i]!, precision: tp / (tp + fp), recall: tp / positives });
    }
  }
  return points;
}

/**
 * Average precision, as scikit-learn's `average_precision_score`: Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the
 * curve's thresholds (a step function, no interpolation).
 */
export function averagePrecision(scores: readonly number[], labels: readonly boolean[]): number {
  let previousRecall = 0;
  let ap = 0;
  for (const p of precisionRecallCurve(scores, labels)) {
    ap += (p.recall - previousRecall) * p.precision;
    previousRecall = p.recall;
  }
  return ap;
}

/**
 * AUC-PR as SelfCheckGPT's published numbers compute it: scikit-learn's `auc(recall, precision)`
 * over `precision_recall_curve`, i.e. the trapezoidal rule through the curve's points plus the
 * curve's conventional start (recall 0, precision 1). It reads slightly higher than average
 * precision because the trapezoids interpolate linearly between points.
 */
export function prAucTrapezoid(scores: readonly number[], labels: readonly boolean[]): number {
  let r0 = 0;
  let p0 = 1;
  let area = 0;
  for (const p of precisionRecallCurve(scores, labels)) {
    area += ((p.recall - r0) * (p.precision + p0)) / 2;
    r0 = p.recall;
    p0 = p.precision;
  }
  return area;
}

/** Ranks from 1, ties getting the mean of the ranks they span (as scipy's `rankdata`, "average"). */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Array<number>(values.length);
  let k = 0;
  while (k < order.length) {
    let j = k;
    while (j + 1 < order.length && values[order[j + 1]!] === values[order[k]!]) j++;
    const rank = (k + j) / 2 + 1;
    for (let m = k; m <= j; m++) ranks[order[m]!] = rank;
    k = j + 1;
  }
  return ranks;
}

/** Pearson's product-moment correlation. */
export function pearson(x: readonly number[], y: readonly number[]): number {
  checkPairs(x, y, 'Pearson');
  if (x.length < 2) throw new RangeError('Pearson needs at least 2 pairs.');
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) throw new RangeError('Pearson is undefined when one side is constant.');
  return sxy / Math.sqrt(sxx * syy);
}

/** Spearman's rank correlation: Pearson over average ranks, so ties are handled. */
export function spearman(x: readonly number[], y: readonly number[]): number {
  checkPairs(x, y, 'Spearman');
  return pearson(averageRanks(x), averageRanks(y));
}

/** Precision and recall of the rule "positive when score ≥ threshold". */
export function precisionRecallAt(
  scores: readonly number[],
  labels: readonly boolean[],
  threshold: number,
): { precision: number; recall: number; predicted: number } {
  checkPairs(scores, labels, 'Precision/recall');
  let tp = 0;
  let predicted = 0;
  let positives = 0;
  scores.forEach((s, i) => {
    if (labels[i]) positives++;
    if (s >= threshold) {
      predicted++;
      if (labels[i]) tp++;
    }
  });
  return { precision: predicted > 0 ? tp / predicted : 1, recall: positives > 0 ? tp / positives : 0, predicted };
}
