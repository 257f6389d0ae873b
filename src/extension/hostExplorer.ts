/**
 * The distribution explorer for cards whose model runs in this host (llama.cpp on a GGUF file):
 * the panel's worker has not got that model, so the panel asks here, and the host answers from
 * the model the run's record names, with the same core code the worker runs (answerExplorer).
 * Requests are answered one at a time, as the worker does. Free of vscode, so tests drive it.
 */
import { handleExplorer } from '../core/explorer/answer';
import type { ExplorerReply } from '../core/explorer/messages';
import type { Engine } from '../core/engine/types';
import type { HostExplorerAsk, RunRecord } from '../protocol/messages';

export interface HostExplorerDeps {
  /** The run (or one model's record of a side-by-side) as history keeps it. */
  runOf(runId: string): RunRecord | undefined;
  /** The host engine for a run's `engine.modelSetting`, opened (loaded again if it was released); undefined when it is no host engine. */
  engineFor(modelSetting: string): Promise<Engine> | undefined;
}

export class HostExplorer {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: HostExplorerDeps) {}

  /** The explorer's reply to `ask`: its step, its branch, or why it failed (in words for the explorer to show). */
  answer(ask: HostExplorerAsk): Promise<ExplorerReply> {
    const answered = this.queue.then(() => this.answerNow(ask));
    this.queue = answered.catch(() => undefined);
    return answered;
  }

  private async answerNow(ask: HostExplorerAsk): Promise<ExplorerReply> {
    const { request } = ask;
    const failed = (error: string): ExplorerReply => ({ type: 'explorerFailed', requestId: request.requestId, error });
    const run = this.deps.runOf(ask.runId);
    if (!run) return failed(`Run ${ask.runId} is no longer in history: nothing to explore.`);
    const setting = run.engine?.modelSetting;
    if (run.engine?.explorer !== 'host' || !setting) return failed(`Run ${ask.runId} did not run in the extension host: its cards are explored by the panel's model.`);
    let engine: Engine | undefined;
    try {
      engine = await this.deps.engineFor(setting);
    } catch (e) {
      return failed(`The explorer needs ${run.model} loaded again, and it did not load: ${(e as Error).message}`);
    }
    if (!engine?.causalLM) return failed(`${setting} no longer opens an engine with the full distribution here.`);
    if (engine.model !== run.model) return failed(`${setting} now holds ${engine.model}, not ${run.model} that sampled this card: its distributions would be another model's.`);
    let reply: ExplorerReply = failed('The explorer gave no answer.');
    // The run's own model name, so the worker's check that a card came from the loaded model holds here too.
    await handleExplorer({ ...request, model: run.model, dtype: undefined }, { model: engine.causalLM, name: { name: engine.model } }, (r) => (reply = r));
    return reply;
  }
}
