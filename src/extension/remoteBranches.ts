/**
 * Branching by continuation, for cards an engine in the host sampled (a server): the user picks a
 * token at step k of a card (the chosen one or an alternative) and the engine continues the run's
 * prompt + the card's text before k + that token's text, sampled with the card's strategy and
 * seed, streaming onto a branch card. The prefix travels as text, so the server tokenizes it
 * again: the card says so, and says when the server's prompt-token count shows it split the text
 * otherwise. Stop keeps what arrived; a server's error ends on the card, in its words. The panel
 * only asks: the host holds the run, the endpoint and its key. Free of vscode, so tests drive it
 * against the test server.
 */
import type { Engine } from '../core/engine/types';
import { shownTokensText } from '../core/model/tokenBytes';
import type { BranchContinueAction, BranchProgress, BranchRecord, RunRecord } from '../protocol/messages';

/** Tokens reach the panel in batches this far apart, never one message per token. */
const BATCH_MS = 30;

export interface RemoteBranchHost {
  /** The run (or one model's record of a side-by-side) as history keeps it. */
  runOf(runId: string): RunRecord | undefined;
  /** Opens the server's engine a run's `engine.modelSetting` names; undefined when it names no server. */
  engineFor(modelSetting: string, signal: AbortSignal): Promise<Engine> | undefined;
  /** Shows the branch as it streams and when it ends. */
  post(message: BranchProgress): Promise<unknown>;
  /** Keeps the finished (or stopped, or failed) branch with its run. */
  keep(runId: string, branch: BranchRecord): Promise<void>;
  log(message: string): void;
}

/** A branch that cannot start: said on its card. */
class BranchRefused extends Error {}

/** What a branch request resolves to on the run it names, checked against what history keeps. */
interface Plan {
  run: RunRecord;
  modelSetting: string;
  prefix: string;
  seed: number;
  /** Prompt tokens + the card's tokens before the step + the chosen one, when the run counted its prompt. */
  expectedPromptTokens?: number;
}

function planOf(run: RunRecord | undefined, a: BranchContinueAction): Plan {
  if (!run) throw new BranchRefused(`Run ${a.runId} is no longer in history: nothing to branch from.`);
  const engine = run.engine;
  if (!engine?.modelSetting) throw new BranchRefused('This run was not sampled by a server Sampling Lab can continue from (or was recorded before branching by continuation): run it again to branch.');
  if (engine.branchRefused) throw new BranchRefused(engine.branchRefused);
  const completion = run.result?.results[a.strategyIndex]?.completions[a.sample];
  if (!completion) throw new BranchRefused(`Run ${run.id} has no completion ${a.sample} on card ${a.strategyIndex}.`);
  const token = completion.tokens[a.step];
  if (!Number.isInteger(a.step) || a.step < 0 || !token) throw new BranchRefused(`Step ${a.step} is past the card's ${completion.tokens.length} tokens.`);
  // Only what the server offered at that step: the chosen token or one of its top log-probs.
  if (token.text !== a.tokenText && !token.alternatives.some((alt) => alt.text === a.tokenText)) {
    throw new BranchRefused(`${JSON.stringify(a.tokenText)} is not among the server's tokens at step ${a.step}.`);
  }
  const prefix = shownTokensText([...completion.tokens.slice(0, a.step).map((t) => t.text), a.tokenText]);
  const promptTokens = run.result?.promptTokens ?? 0;
  return { run, modelSetting: engine.modelSetting, prefix, seed: completion.seed, ...(promptTokens > 0 ? { expectedPromptTokens: promptTokens + a.step + 1 } : {}) };
}

export class RemoteBranches {
  private readonly inFlight = new Map<string, AbortController>();

  constructor(private readonly host: RemoteBranchHost) {}

  /** Branches streaming now. */
  get running(): number {
    return this.inFlight.size;
  }

  /** Stops one branch, or all of them; true if any was running. Each keeps what arrived. */
  stop(branchId?: string): boolean {
    const stopping = branchId === undefined ? [...this.inFlight.values()] : [this.inFlight.get(branchId)].filter((c) => c !== undefined);
    for (const c of stopping) c.abort();
    return stopping.length > 0;
  }

  /** Runs one branch to its end and returns it as kept: finished, stopped (partial) or failed (with the error). */
  async start(action: BranchContinueAction): Promise<BranchRecord> {
    let branch: BranchRecord = { strategyIndex: action.strategyIndex, step: action.step, tokenText: action.tokenText, text: action.tokenText, firstText: action.tokenText, state: 'running' };
    const show = () => this.host.post({ type: 'branchProgress', branchId: action.branchId, runId: action.runId, branch }).catch(() => undefined);
    if (this.inFlight.has(action.branchId)) return { ...branch, state: 'failed', error: `Branch ${action.branchId} is already running.` };
    const abort = new AbortController();
    this.inFlight.set(action.branchId, abort);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const plan = planOf(this.host.runOf(action.runId), action);
      await show();
      const engine = await this.host.engineFor(plan.modelSetting, abort.signal);
      if (!engine) throw new BranchRefused(`${plan.modelSetting} no longer opens a server here: branching by continuation needs the endpoint the run used.`);
      if (!engine.continueText || engine.capabilities.branching !== 'continuation') throw new BranchRefused(`No branching: ${engine.where} cannot continue a text prefix.`);
      if (engine.model !== plan.run.model) throw new BranchRefused(`${plan.modelSetting} now serves ${engine.model}, not ${plan.run.model} that sampled this card: a continuation would come from another model.`);
      branch = { ...branch, continuedBy: engine.where };
      let continued = '';
      const result = await engine.continueText({
        prompt: plan.run.prompt,
        prefix: plan.prefix,
        strategy: plan.run.strategies[action.strategyIndex]!.strategy,
        seed: plan.seed,
        // The forced token is the branch's first of the run's budget.
        maxNewTokens: Math.max(1, plan.run.options.maxNewTokens - action.step - 1),
        stopStrings: plan.run.options.stopStrings,
        topAlternatives: Number.isFinite(engine.capabilities.maxTopLogprobs) ? engine.capabilities.maxTopLogprobs : undefined,
        signal: abort.signal,
        onToken: (_, token) => {
          continued += token.text;
          branch = { ...branch, text: action.tokenText + continued };
          timer ??= setTimeout(() => {
            timer = undefined;
            void show();
          }, BATCH_MS);
        },
      });
      const retokenized =
        plan.expectedPromptTokens !== undefined && result.promptTokens !== undefined && result.promptTokens !== plan.expectedPromptTokens
          ? `The server read the prompt and prefix as ${result.promptTokens} tokens, not the ${plan.expectedPromptTokens} of the card (prompt, ${action.step} tokens, the chosen one): the text re-tokenized differently.`
          : undefined;
      const aborted = result.completion.finishReason === 'aborted';
      const { state: _running, ...rest } = branch;
      branch = { ...rest, text: action.tokenText + result.completion.text, ...(retokenized ? { retokenized } : {}), ...(aborted ? { state: 'aborted' as const, error: 'Stopped: the tokens that arrived are kept.' } : {}) };
    } catch (e) {
      branch = { ...branch, state: 'failed', error: (e as Error).message };
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(action.branchId);
    }
    this.host.log(`Branch ${action.branchId} of run ${action.runId} at step ${action.step}: ${branch.state ?? 'done'}${branch.error ? ` (${branch.error})` : ''}.`);
    await this.host.keep(action.runId, branch).catch((e: Error) => this.host.log(`Branch ${action.branchId} was not kept: ${e.message}`));
    await show();
    return branch;
  }
}
