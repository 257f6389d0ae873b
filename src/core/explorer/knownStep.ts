/**
 * The explorer on a step a server sampled: only the chosen token's log-prob and the server's top
 * K alternatives are known; the rest of the distribution (1 minus their mass) is an unknown tail.
 * The step is explained by the same core code as a full row (explainStep, temperatureSweep), run
 * on the known part renormalised, so its numbers are approximate. The panel's approximate explorer
 * and `sampling-lab explore --endpoint` both read a step through here.
 */
import type { TokenInfo } from '../decode/types';
import type { StageType } from '../sampling/types';
import { explainStep, type StepExplanation } from './explainStep';
import { samplerSpecOf, type ExplorerSettings } from './settings';
import { temperatureSweep, type SweepPoint } from './temperatureSweep';

/** Thrown when a step carries no log-probs to explore (a server that returns none). */
export class NoDistributionError extends Error {
  override readonly name = 'NoDistributionError';
}

/** The known part of a step; index i is the known token i (the server's id, or −1 where it gives none). */
export interface KnownTokens {
  ids: number[];
  texts: string[];
  logprobs: number[];
  /** The chosen token's index. */
  chosen: number;
}

const usable = (l: number | null | undefined): l is number => typeof l === 'number' && Number.isFinite(l);

/** The known part of a step: the alternatives with a log-prob, the chosen token among them. */
export function knownTokens(token: TokenInfo): KnownTokens {
  const known: KnownTokens = { ids: [], texts: [], logprobs: [], chosen: -1 };
  const add = (id: number, text: string, logprob: number) => {
    known.ids.push(id);
    known.texts.push(text);
    known.logprobs.push(logprob);
  };
  for (const alt of token.alternatives) {
    if (!usable(alt.logprob)) continue;
    if (known.chosen < 0 && (token.token >= 0 ? alt.token === token.token : alt.text === token.text)) known.chosen = known.texts.length;
    add(alt.token, alt.text, alt.logprob);
  }
  // Sampled from outside the server's top K: it is still known, by its own log-prob.
  if (known.chosen < 0 && usable(token.logprobRaw)) {
    known.chosen = known.texts.length;
    add(token.token, token.text, token.logprobRaw);
  }
  if (known.texts.length === 0 || known.chosen < 0) throw new NoDistributionError('The server returned no log-probs for this step: there is no distribution to explore.');
  return known;
}

/**
 * Stages that read the token history or token ids (penalties, DRY, logit bias): the known part
 * has neither (the server's own penalties already ran on its numbers), so they cannot be replayed
 * on it.
 */
export const HISTORY_STAGES: readonly StageType[] = ['logit_bias', 'repetition_penalty', 'penalties', 'dry'];

/** The stages of `settings` an approximate step cannot replay, in chain order. */
export function unreplayableStages(settings: ExplorerSettings): StageType[] {
  return samplerSpecOf(settings).stages.map((s) => s.type).filter((t) => HISTORY_STAGES.includes(t));
}

export interface KnownStep {
  known: KnownTokens;
  /**
   * The step over the known tokens (token i is known token i): raw prob/logprob and the chosen
   * token's raw numbers are the server's own; the final probabilities are over the known part,
   * renormalised; the entropy is the renormalised known part's; tailMass is everything not shown,
   * the unknown tail included.
   */
  explanation: StepExplanation;
  /** The server's probability on its known tokens. */
  knownMass: number;
  /** 1 − knownMass: the probability on tokens outside the server's top K. */
  unknownTail: number;
  sweep: SweepPoint[];
}

/** Explains a step a server sampled under `settings`, over its known tokens only; `topN` bars (default: all known). */
export function explainKnownStep(token: TokenInfo, settings: ExplorerSettings, options: { topN?: number } = {}): KnownStep {
  const known = knownTokens(token);
  const { texts, logprobs, chosen } = known;
  const row = Float32Array.from(logprobs);
  const vocabulary = {
    vocabSize: texts.length,
    tokenText: (i: number) => texts[i] ?? '',
    encode: (text: string) => {
      const i = texts.indexOf(text);
      return i < 0 ? [] : [i];
    },
  };
  // No history: the server's own penalties already ran; ours have no ids to count here.
  const view = explainStep(row, [], settings, { chosenToken: chosen, topN: Math.min(options.topN ?? texts.length, texts.length), vocabulary });
  const knownMass = Math.min(1, logprobs.reduce((sum, l) => sum + Math.exp(l), 0));
  const tokens = view.tokens.map((t) => ({ ...t, prob: Math.exp(logprobs[t.token]!), logprob: logprobs[t.token]! }));
  const shownMass = tokens.reduce((sum, t) => sum + t.prob, 0);
  const explanation: StepExplanation = {
    ...view,
    tokens,
    tailMass: Math.max(0, 1 - shownMass),
    chosen: view.chosen && { ...view.chosen, rawProb: Math.exp(logprobs[chosen]!), rawLogprob: logprobs[chosen]! },
  };
  const sweep = temperatureSweep(row, chosen);
  return { known, explanation, knownMass, unknownTail: Math.max(0, 1 - knownMass), sweep };
}
