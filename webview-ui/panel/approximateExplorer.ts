/**
 * The explorer on a run a server sampled. The server returned only its top-K log-probs at each
 * step, so the step is explained over those K tokens, and the rest of the distribution (1 minus
 * their mass) is shown as unknown. The controls run the same core code the sampler runs
 * (explainStep, temperatureSweep) on the known part, renormalised: the numbers are approximate,
 * and the reply says so.
 */
import type { TokenInfo } from '../../src/core/decode/types';
import { explainStep, temperatureSweep } from '../../src/core/explorer';
import type { ExplorerSettings } from '../../src/core/explorer/settings';
import type { ExplorerStepReply } from '../../src/protocol/explorer';
import { known } from './format';

/** Thrown when a step carries no log-probs to explore (a server that returns none). */
export class NoDistributionError extends Error {
  override readonly name = 'NoDistributionError';
}

/** The known part of a step: the alternatives with a log-prob, the chosen token among them. */
export function knownTokens(token: TokenInfo): { texts: string[]; logprobs: number[]; chosen: number } {
  const texts: string[] = [];
  const logprobs: number[] = [];
  let chosen = -1;
  for (const alt of token.alternatives) {
    if (!known(alt.logprob) || !Number.isFinite(alt.logprob)) continue;
    if (chosen < 0 && (token.token >= 0 ? alt.token === token.token : alt.text === token.text)) chosen = texts.length;
    texts.push(alt.text);
    logprobs.push(alt.logprob);
  }
  // Sampled from outside the server's top K: it is still known, by its own log-prob.
  if (chosen < 0 && known(token.logprobRaw) && Number.isFinite(token.logprobRaw)) {
    chosen = texts.length;
    texts.push(token.text);
    logprobs.push(token.logprobRaw);
  }
  if (texts.length === 0 || chosen < 0) throw new NoDistributionError('The server returned no log-probs for this step: there is no distribution to explore.');
  return { texts, logprobs, chosen };
}

/** The explorer's step reply for `token` under `settings`, over the known tokens only. */
export function approximateStep(requestId: string, token: TokenInfo, settings: ExplorerSettings): ExplorerStepReply {
  const { texts, logprobs, chosen } = knownTokens(token);
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
  const view = explainStep(row, [], settings, { chosenToken: chosen, topN: texts.length, vocabulary });
  const knownMass = Math.min(1, logprobs.reduce((sum, l) => sum + Math.exp(l), 0));
  const c = view.chosen!;
  return {
    type: 'explorerStepDone',
    requestId,
    promptIds: [],
    vocabSize: texts.length,
    bars: view.tokens.map((t, i) => ({
      token: t.token,
      text: texts[t.token]!,
      rank: t.rank,
      logit: t.logit,
      // The server's own probability; the final one is over the known part, renormalised.
      prob: Math.exp(logprobs[t.token]!),
      finalProb: t.finalProb,
      chosen: t.chosen,
      cutBy: t.cutBy,
      survives: view.stages.slice(1).map((s) => s.survives[i] ?? false),
    })),
    entropyBits: view.entropyBits,
    tailMass: Math.max(0, 1 - knownMass),
    chain: view.chain,
    stages: view.stages.map((s) => ({ name: s.name, survivors: s.survivors })),
    surviving: view.final.surviving,
    chosen: { token: c.token, text: texts[c.token]!, rank: c.rank, rawProb: Math.exp(logprobs[chosen]!), finalProb: c.finalProb, cutBy: c.cutBy },
    sweep: temperatureSweep(row, chosen, { from: 0.1, to: 2.0, steps: 20 }).map((p) => ({ temperature: p.temperature, chosenProb: p.chosenProb, entropyBits: p.entropyBits })),
    approximate: { knownMass, known: texts.length },
  };
}
