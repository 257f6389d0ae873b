/**
 * Presence and frequency penalties (OpenAI's API; llama.cpp's penalties sampler, PR #1984):
 * a token seen c times in the last N tokens loses c × frequency + (c > 0) × presence from its
 * logit. Negative values encourage repeats.
 */
import { addToTokens, nextStamp } from './candidates';
import { checkParam } from './checkParam';
import { defineStage, show } from './stage';
import type { CandidateSet } from './types';

export function presenceFrequencyPenalty(c: CandidateSet, history: ArrayLike<number>, presence: number, frequency: number, lastN: number): void {
  checkParam(penaltiesStage, 'presence', presence);
  checkParam(penaltiesStage, 'frequency', frequency);
  checkParam(penaltiesStage, 'lastN', lastN);
  if ((presence === 0 && frequency === 0) || lastN === 0 || history.length === 0) return;
  // Counts in `keys`, distinct tokens in `order`; addToTokens reuses `keys` afterwards, so the
  // deltas go to a list of their own (as many as distinct tokens, at most lastN).
  const stamp = nextStamp(c);
  const marks = c.marks;
  const counts = c.keys;
  const distinct = c.order;
  let count = 0;
  for (let j = Math.max(0, history.length - lastN); j < history.length; j++) {
    const token = history[j]!;
    if (!(Number.isInteger(token) && token >= 0 && token < c.vocabSize)) continue;
    if (marks[token] !== stamp) {
      marks[token] = stamp;
      counts[token] = 0;
      distinct[count++] = token;
    }
    counts[token]!++;
  }
  const tokens = Array.from(distinct.subarray(0, count));
  const deltas = tokens.map((t) => -(counts[t]! * frequency + presence));
  addToTokens(c, tokens, deltas, count);
}

export const penaltiesStage = defineStage<'penalties'>({
  type: 'penalties',
  aliases: ['presence_penalty', 'frequency_penalty', 'presence-frequency'],
  title: 'Presence / frequency penalty',
  summary: 'Subtracts count × frequency + presence from the logit of every token seen in the last N (OpenAI API; llama.cpp penalties).',
  params: [
    { kind: 'number', field: 'presence', setting: 'presencePenalty', flag: '--presence-penalty', help: 'presence penalty: subtracted once from a seen token (−100 … 100; OpenAI uses −2 … 2; 0 is off)', enables: true, min: -100, max: 100, default: 0, control: { min: -2, max: 2, step: 0.1 } },
    { kind: 'number', field: 'frequency', setting: 'frequencyPenalty', flag: '--frequency-penalty', help: 'frequency penalty: subtracted per occurrence (−100 … 100; OpenAI uses −2 … 2; 0 is off)', enables: true, min: -100, max: 100, default: 0, control: { min: -2, max: 2, step: 0.1 } },
    { kind: 'number', field: 'lastN', setting: 'penaltyLastN', flag: '--penalty-last-n', help: 'tokens of history the presence/frequency penalties count (integer ≥ 0)', min: 0, max: Infinity, integer: true, default: 64, control: { min: 0, max: 512, step: 8 } },
  ],
  label: (s) => `penalties(presence ${show(s.presence ?? 0)}, frequency ${show(s.frequency ?? 0)}${(s.lastN ?? 64) === 64 ? '' : `, last_n=${s.lastN}`})`,
  isNoOp: (s) => (!s.presence && !s.frequency) || s.lastN === 0,
  omitWhenNoOp: true,
  keepsTop: false,
  readsProbabilities: () => false,
  rewritesFewLogits: true,
  create: (s) => ({ apply: (c, ctx) => presenceFrequencyPenalty(c, ctx.history, s.presence ?? 0, s.frequency ?? 0, s.lastN ?? 64) }),
});
