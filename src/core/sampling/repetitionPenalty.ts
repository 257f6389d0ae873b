/**
 * Repetition penalty, the CTRL rule as Hugging Face applies it (Keskar et al. 2019): every
 * distinct token among the last `lastN` tokens of the history (prompt included) has its logit
 * divided by the penalty when positive and multiplied by it when negative, so a penalty > 1
 * always makes a repeat less likely. Each token is penalised once, however often it repeats.
 * lastN = 0 disables the stage (as in llama.cpp); ids outside the vocabulary are ignored.
 */
import { logitsRewritten, nextStamp, patchExp } from './candidates';
import { checkParam } from './checkParam';
import { defineStage, show } from './stage';
import type { CandidateSet } from './types';

export const DEFAULT_PENALTY_LAST_N = 64;

export function repetitionPenalty(c: CandidateSet, history: ArrayLike<number>, penalty: number, lastN = DEFAULT_PENALTY_LAST_N): void {
  checkParam(repetitionPenaltyStage, 'penalty', penalty);
  checkParam(repetitionPenaltyStage, 'lastN', lastN);
  if (penalty === 1 || lastN === 0 || history.length === 0) return;
  const stamp = nextStamp(c);
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
      patchExp(c, token);
    }
  } else {
    const ids = c.ids;
    for (let i = 0; i < c.size; i++) {
      if (marks[ids[i]] !== stamp) continue;
      logits[i] = penalise(logits[i], penalty);
      patchExp(c, i);
    }
  }
  logitsRewritten(c);
}

function penalise(logit: number, penalty: number): number {
  return logit > 0 ? logit / penalty : logit * penalty;
}

export function repetitionPenaltyLabel(penalty: number, lastN = DEFAULT_PENALTY_LAST_N): string {
  return lastN === DEFAULT_PENALTY_LAST_N ? `repetition_penalty(${show(penalty)})` : `repetition_penalty(${show(penalty)}, last_n=${lastN})`;
}

export const repetitionPenaltyStage = defineStage<'repetition_penalty'>({
  type: 'repetition_penalty',
  aliases: ['repetition-penalty', 'repeat_penalty', 'repeat-penalty', 'penalty'],
  title: 'Repetition penalty',
  summary: 'Divides a positive logit (multiplies a negative one) of every token seen in the last N by the penalty (Keskar et al. 2019, CTRL; HF RepetitionPenaltyLogitsProcessor).',
  params: [
    { kind: 'number', field: 'penalty', setting: 'repetitionPenalty', flag: '--repeat-penalty', help: 'repetition penalty (> 0; 1 is off)', enables: true, min: 0, minOpen: true, max: Infinity, default: 1, hint: 'Use 1 for no penalty.', control: { min: 1, max: 2, step: 0.05 } },
    { kind: 'number', field: 'lastN', setting: 'repeatLastN', flag: '--repeat-last-n', help: 'tokens of history the repetition penalty looks at (integer ≥ 0)', min: 0, max: Infinity, integer: true, default: DEFAULT_PENALTY_LAST_N, hint: 'Use 0 to disable the penalty.', control: { min: 0, max: 512, step: 8 } },
  ],
  label: (s) => repetitionPenaltyLabel(s.penalty, s.lastN),
  isNoOp: (s) => s.penalty === 1 || s.lastN === 0,
  omitWhenNoOp: true,
  keepsTop: false,
  readsProbabilities: () => false,
  rewritesFewLogits: true,
  create: (s) => {
    const lastN = s.lastN ?? DEFAULT_PENALTY_LAST_N;
    return { apply: (c, ctx) => repetitionPenalty(c, ctx.history, s.penalty, lastN) };
  },
});
