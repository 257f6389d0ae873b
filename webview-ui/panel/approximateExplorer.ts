/**
 * The explorer on a run a server sampled. The server returned only its top-K log-probs at each
 * step, so the step is explained over those K tokens (src/core/explorer/knownStep.ts, which the
 * CLI's `explore --endpoint` runs too), and the rest of the distribution (1 minus their mass) is
 * shown as unknown. The numbers are approximate, and the reply says so.
 */
import type { TokenInfo } from '../../src/core/decode/types';
import { explainKnownStep, unreplayableStages } from '../../src/core/explorer';
import { stageDefinition } from '../../src/core/sampling/registry';
import type { ExplorerSettings } from '../../src/core/explorer/settings';
import type { ExplorerStepReply } from '../../src/protocol/explorer';

/** The explorer's step reply for `token` under `settings`, over the known tokens only. */
export function approximateStep(requestId: string, token: TokenInfo, settings: ExplorerSettings): ExplorerStepReply {
  const { known, explanation: view, knownMass, unknownTail, sweep } = explainKnownStep(token, settings);
  const texts = known.texts;
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
      prob: t.prob,
      finalProb: t.finalProb,
      chosen: t.chosen,
      cutBy: t.cutBy,
      survives: view.stages.slice(1).map((s) => s.survives[i] ?? false),
    })),
    entropyBits: view.entropyBits,
    tailMass: unknownTail,
    chain: view.chain,
    stages: view.stages.map((s) => ({ name: s.name, survivors: s.survivors })),
    surviving: view.final.surviving,
    chosen: { token: c.token, text: texts[c.token]!, rank: c.rank, rawProb: c.rawProb, finalProb: c.finalProb, cutBy: c.cutBy },
    sweep: sweep.map((p) => ({ temperature: p.temperature, chosenProb: p.chosenProb, entropyBits: p.entropyBits })),
    approximate: { knownMass, known: texts.length, unreplayed: unreplayableStages(settings).map((t) => stageDefinition(t).title) },
  };
}
