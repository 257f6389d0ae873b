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
import { stepReply } from '../../src/core/explorer/stepReply';
import type { ExplorerStepReply } from '../../src/protocol/explorer';

/** The explorer's step reply for `token` under `settings`, over the known tokens only. */
export function approximateStep(requestId: string, token: TokenInfo, settings: ExplorerSettings): ExplorerStepReply {
  const { known, explanation: view, knownMass, unknownTail, sweep } = explainKnownStep(token, settings);
  const texts = known.texts;
  // The server's own probabilities; the final ones are over the known part, renormalised.
  return stepReply(requestId, view, (token) => texts[token]!, {
    promptIds: [],
    vocabSize: texts.length,
    tailMass: unknownTail,
    sweep,
    approximate: { knownMass, known: texts.length, unreplayed: unreplayableStages(settings).map((t) => stageDefinition(t).title) },
  });
}
