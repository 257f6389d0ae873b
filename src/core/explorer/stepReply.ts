/**
 * The explorer's step reply from an explained step: the bars, the chain's stages and the chosen
 * token, as the panel draws them. The full distribution (answer.ts) and a server's top-K
 * (the panel's approximateExplorer.ts) fill in only what differs.
 */
import type { StepExplanation } from './explainStep';
import type { ExplorerStepReply } from './messages';

export function stepReply(
  requestId: string,
  view: StepExplanation,
  textOf: (token: number) => string,
  rest: Pick<ExplorerStepReply, 'promptIds' | 'vocabSize' | 'tailMass' | 'sweep'> & Partial<Pick<ExplorerStepReply, 'approximate'>>,
): ExplorerStepReply {
  const c = view.chosen!;
  return {
    type: 'explorerStepDone',
    requestId,
    bars: view.tokens.map((t, i) => ({
      token: t.token,
      text: textOf(t.token),
      rank: t.rank,
      logit: t.logit,
      prob: t.prob,
      finalProb: t.finalProb,
      chosen: t.chosen,
      cutBy: t.cutBy,
      survives: view.stages.slice(1).map((s) => s.survives[i] ?? false),
    })),
    entropyBits: view.entropyBits,
    chain: view.chain,
    stages: view.stages.map((s) => ({ name: s.name, survivors: s.survivors })),
    surviving: view.final.surviving,
    chosen: { token: c.token, text: textOf(c.token), rank: c.rank, rawProb: c.rawProb, finalProb: c.finalProb, cutBy: c.cutBy },
    ...rest,
    sweep: rest.sweep.map((p) => ({ temperature: p.temperature, chosenProb: p.chosenProb, entropyBits: p.entropyBits })),
  };
}
