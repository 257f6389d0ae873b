/**
 * Repetition penalty, the CTRL rule as Hugging Face applies it (Keskar et al. 2019): every
 * distinct token among the last `lastN` tokens of the history (prompt included) has its logit
 * divided by the penalty when positive and multiplied by it when negative, so a penalty > 1
 * always makes a repeat less likely. Each token is penalised once, however often it repeats.
 * lastN = 0 disables the stage (as in llama.cpp); ids outside the vocabulary are ignored.
 */
import { logitsChanged } from './candidates';
import type { CandidateSet } from './types';
import { checkStageParameter } from './validate';

export const DEFAULT_PENALTY_LAST_N = 64;

export function repetitionPenalty(c: CandidateSet, history: ArrayLike<number>, penalty: number, lastN = DEFAULT_PENALTY_LAST_N): void {
  checkStageParameter('repetition_penalty', penalty);
  checkStageParameter('repetition_penalty.lastN', lastN);
  if (penalty === 1 || lastN === 0 || history.length === 0) return;
  if (c.stamp >= 0x7ffffffe) {
    c.marks.fill(0);
    c.stamp = 0;
  }
  const stamp = ++c.stamp;
  const marks = c.marks;
  const vocab = c.vocabSize;
  const distinct = c.order;
  let count = 0;
  for (let j = Math.max(0, history.length - lastN); j < history.length; j++) {
    const token = history[j];
    if (Number.isInteger(token) && token >= 0 && token < vocab && marks[token] !== stamp) {
      marks[token] = stamp;
      distinct[count++] = token;
    }
  }
  if (count === 0) return;
  const logits = c.logits;
  if (c.identity) {
    for (let j = 0; j < count; j++) {
      const token = distinct[j];
      logits[token] = penalise(logits[token], penalty);
    }
  } else {
    const ids = c.ids;
    for (let i = 0; i < c.size; i++) if (marks[ids[i]] === stamp) logits[i] = penalise(logits[i], penalty);
  }
  c.max = NaN;
  c.sorted = false;
  logitsChanged(c);
}

function penalise(logit: number, penalty: number): number {
  return logit > 0 ? logit / penalty : logit * penalty;
}

export function repetitionPenaltyLabel(penalty: number, lastN = DEFAULT_PENALTY_LAST_N): string {
  return lastN === DEFAULT_PENALTY_LAST_N ? `repetition_penalty(${penalty})` : `repetition_penalty(${penalty}, last_n=${lastN})`;
}
