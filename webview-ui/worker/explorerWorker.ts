/**
 * The explorer's work in the model worker: the logits of a finished completion (kept for the
 * last one asked about, so moving a control costs only explainStep), the step explained under
 * the live settings, the temperature sweep, and branches. The same core code the sampler uses.
 */
import { preparePrompt } from '../../src/core/decode/compare';
import { completionLogits, continueFrom, explainStep, explorerStrategy, stepHistory, temperatureSweep, type CompletionLogits } from '../../src/core/explorer';
import { withPromptFormat } from '../../src/core/model/promptFormat';
import type { CausalLM } from '../../src/core/model/types';
import type { ExplorerReply, ExplorerRequest, ExplorerStepRequest } from '../../src/protocol/explorer';

let cached: { key: string; promptIds: number[]; logits: CompletionLogits } | undefined;

async function logitsFor(model: CausalLM, r: ExplorerStepRequest | ExplorerRequest) {
  const key = JSON.stringify([model.name, r.prompt, r.maxNewTokens, r.generated, r.chat ?? null, r.system ?? null]);
  if (cached?.key !== key) {
    const promptIds = preparePrompt(model, r.prompt, r.maxNewTokens).ids;
    cached = { key, promptIds, logits: await completionLogits(model, promptIds, r.generated) };
  }
  return cached;
}

export async function handleExplorer(request: ExplorerRequest, loadedModel: CausalLM | undefined, post: (reply: ExplorerReply) => void): Promise<void> {
  try {
    if (!loadedModel) throw new Error('No model is loaded; run a comparison first.');
    // The prompt as the run read it: through the chat template or raw.
    const model = withPromptFormat(loadedModel, { chat: request.chat, system: request.system });
    const { promptIds, logits } = await logitsFor(model, request);
    if (request.explorer === 'branch') {
      const result = await continueFrom(model, promptIds, request.generated.slice(0, request.step), request.altToken, explorerStrategy(request.settings), {
        maxNewTokens: Math.max(1, request.maxNewTokens - request.step),
        seed: request.seed,
      });
      post({
        explorer: 'branchResult',
        id: request.id,
        step: request.step,
        token: request.altToken,
        tokenText: model.tokenText(request.altToken),
        text: result.completion.text,
        tokens: result.completion.tokens.map((t) => ({ token: t.token, text: t.text, prob: Math.exp(t.logprobRaw) })),
      });
      return;
    }
    const row = logits.at(request.step);
    const chosenToken = request.generated[request.step]!;
    const view = explainStep(row, stepHistory(promptIds, request.generated, request.step), request.settings, { chosenToken, topN: 30, vocabulary: model });
    const chosen = view.chosen!;
    post({
      explorer: 'stepResult',
      id: request.id,
      promptIds,
      vocabSize: view.vocabSize,
      bars: view.tokens.map((t, i) => ({
        token: t.token,
        text: model.tokenText(t.token),
        rank: t.rank,
        logit: t.logit,
        prob: t.prob,
        finalProb: t.finalProb,
        chosen: t.chosen,
        cutBy: t.cutBy,
        survives: view.stages.slice(1).map((s) => s.survives[i] ?? false),
      })),
      entropyBits: view.entropyBits,
      tailMass: view.tailMass,
      chain: view.chain,
      stages: view.stages.map((s) => ({ name: s.name, survivors: s.survivors })),
      surviving: view.final.surviving,
      chosen: { token: chosen.token, text: model.tokenText(chosen.token), rank: chosen.rank, rawProb: chosen.rawProb, finalProb: chosen.finalProb, cutBy: chosen.cutBy },
      sweep: temperatureSweep(row, chosenToken, { from: 0.1, to: 2.0, steps: 20 }).map((p) => ({ temperature: p.temperature, chosenProb: p.chosenProb, entropyBits: p.entropyBits })),
    });
  } catch (e) {
    post({ explorer: 'error', id: request.id, error: e instanceof Error ? e.message : String(e) });
  }
}
