/**
 * The explorer's work beside the model, wherever the model is loaded (the panel's worker, or the
 * extension host for a GGUF file): the logits of a finished completion (kept for the last one
 * asked about, so moving a control costs only explainStep), the step explained under the live
 * settings, the temperature sweep, and branches. The same core code the sampler uses.
 */
import { preparePrompt } from '../decode/compare';
import { withPromptFormat } from '../model/promptFormat';
import type { CausalLM } from '../model/types';
import { completionLogits, continueFrom, stepHistory, type CompletionLogits } from './branch';
import { explainStep } from './explainStep';
import { stepReply } from './stepReply';
import type { ExplorerReply, ExplorerRequest, ExplorerStepRequest } from './messages';
import { explorerStrategy } from './settings';
import { temperatureSweep } from './temperatureSweep';

let cached: { key: string; promptIds: number[]; logits: CompletionLogits } | undefined;

async function logitsFor(model: CausalLM, r: ExplorerStepRequest | ExplorerRequest) {
  const key = JSON.stringify([model.name, r.prompt, r.maxNewTokens, r.generated, r.chat ?? null, r.system ?? null]);
  if (cached?.key !== key) {
    const promptIds = preparePrompt(model, r.prompt, r.maxNewTokens).ids;
    cached = { key, promptIds, logits: await completionLogits(model, promptIds, r.generated) };
  }
  return cached;
}

/** The model the worker holds, as the host named it when it asked for the load. */
export interface LoadedModelName {
  name: string;
  /** fp32 when the load named no weights. */
  dtype?: string;
}

/**
 * Why the loaded model cannot explore a card of `request`'s model, or undefined when it can. The
 * explorer reads the loaded model's logits: a card of another model (one side of a side-by-side, a
 * run from before Select Model) would get another model's distributions, token ids read in
 * another vocabulary, and nothing on screen would say so.
 */
export function explorerModelMismatch(request: Pick<ExplorerRequest, 'model' | 'dtype'>, loaded: LoadedModelName): string | undefined {
  if (request.model === undefined) return undefined;
  const loadedDtype = loaded.dtype ?? 'fp32';
  const sameWeights = request.dtype === undefined || request.dtype === loadedDtype;
  if (request.model === loaded.name && sameWeights) return undefined;
  const card = `${request.model}${request.dtype ? ` (${request.dtype})` : ''}`;
  return (
    `This card came from ${card}, and the panel has ${loaded.name} (${loadedDtype}) loaded: the explorer reads the loaded model's logits. ` +
    `Run the prompt again on ${request.model}${request.dtype && request.model === loaded.name ? ` with samplingLab.dtype "${request.dtype}"` : ''} (Sampling Lab: Select Model…), then open this step on the new run's card.`
  );
}

export async function handleExplorer(
  request: ExplorerRequest,
  loaded: { model: CausalLM; name: LoadedModelName } | undefined,
  post: (reply: ExplorerReply) => void,
): Promise<void> {
  try {
    if (!loaded) throw new Error('No model is loaded; run a comparison first.');
    const mismatch = explorerModelMismatch(request, loaded.name);
    if (mismatch) throw new Error(mismatch);
    const loadedModel = loaded.model;
    // The prompt as the run read it: through the chat template or raw.
    const model = withPromptFormat(loadedModel, { chat: request.chat, system: request.system });
    const { promptIds, logits } = await logitsFor(model, request);
    if (request.type === 'explorerBranch') {
      const result = await continueFrom(model, promptIds, request.generated.slice(0, request.step), request.altToken, explorerStrategy(request.settings), {
        maxNewTokens: Math.max(1, request.maxNewTokens - request.step),
        seed: request.seed,
      });
      post({
        type: 'explorerBranchDone',
        requestId: request.requestId,
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
    post(
      stepReply(request.requestId, view, (token) => model.tokenText(token), {
        promptIds,
        vocabSize: view.vocabSize,
        tailMass: view.tailMass,
        sweep: temperatureSweep(row, chosenToken, { from: 0.1, to: 2.0, steps: 20 }),
      }),
    );
  } catch (e) {
    post({ type: 'explorerFailed', requestId: request.requestId, error: e instanceof Error ? e.message : String(e) });
  }
}
