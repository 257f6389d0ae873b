/**
 * `sampling-lab explore` on an engine that does not hold its model here (a server, `--endpoint URL
 * --model ID`): the step view on its run. The server
 * samples the completion and returns only its top log-probs at each step (up to the dialect's
 * largest top_logprobs), so the step is explained over those tokens (core/explorer/knownStep.ts,
 * which the panel's approximate explorer runs too), the rest shown as an unknown tail, and the view
 * marked approximate. A branch continues on the server by text (the engine's continueText).
 */
import { shownTokensText } from '../core/model/tokenBytes';
import { branchingRefusal, type Engine } from '../core/engine/types';
import { explainKnownStep, unreplayableStages, type KnownStep } from '../core/explorer/knownStep';
import type { ExplorerSettings } from '../core/explorer/settings';
import type { Completion } from '../core/decode/types';
import { allParams } from '../core/sampling/registry';
import { renderExplanation, renderSweep, type ExploreArgs } from './exploreView';
import { UsageError } from './usageError';

/** The flags that set stages the known part cannot replay, refused before anything is sent. */
export function refuseUnreplayable(args: ExploreArgs, settings: ExplorerSettings): void {
  const stages = unreplayableStages(settings);
  if (stages.length === 0) return;
  const flags = allParams()
    .filter(({ stage, param }) => stage && stages.includes(stage.type) && args.overrides[param.setting] !== undefined)
    .map(({ param }) => param.flag);
  throw new UsageError(
    `${flags.join(', ') || stages.join(', ')}: with --endpoint the step is the server's top log-probs, without the text before them or token ids, ` +
      `so a stage that reads the history or token ids (${stages.join(', ')}) cannot be replayed on it (the server's own penalties are already in its numbers). ` +
      'Drop the flag, or explore a local --model.',
  );
}

export async function exploreKnownStep(args: ExploreArgs, settings: ExplorerSettings, engine: Engine, signal: AbortSignal): Promise<number> {
  const format = { chat: args.format.chat === true, system: args.format.system };
  const run = await engine.compare(args.prompt, [args.strategy], {
    maxNewTokens: args.maxNewTokens,
    seed: args.seed,
    format,
    topAlternatives: engine.capabilities.maxTopLogprobs,
    signal,
  });
  const refused = run.refused?.[0];
  if (refused) throw new UsageError(`--strategy ${refused.strategy.name}: ${refused.reason}. Choose a strategy the server honours, or explore a local --model.`);
  if (engine.capabilities.distribution === 'none') throw new UsageError(`${engine.where} returns no log-probs: there is no distribution to explore. Use a server that returns them, or a local --model.`);
  if (signal.aborted) return 130;
  const completion = run.results[0]!.best;
  const tokens = completion.tokens;
  if (args.step >= tokens.length) throw new UsageError(`--step ${args.step} is past the completion, which has ${tokens.length} tokens (steps 0 to ${tokens.length - 1}).`);
  const step = explainKnownStep(tokens[args.step]!, settings, { topN: args.topN });
  const branch = args.branchText === undefined ? undefined : await branchOnServer(engine, args, completion, args.branchText, signal);
  const sweep = args.sweep ? step.sweep : undefined;
  if (args.json) {
    console.log(JSON.stringify({ prompt: args.prompt, sampledBy: run.sampledBy, completion, step: args.step, settings, ...approximateJson(step), sweep, branch }, null, 2));
    return 0;
  }
  const { ids, texts } = step.known;
  const lines = [
    `prompt ${JSON.stringify(args.prompt)} · ${run.results[0]!.strategy.name}, sampled by ${run.sampledBy}: ${JSON.stringify(completion.text)}`,
    renderExplanation({ text: (i) => texts[i]!, id: (i) => (ids[i]! >= 0 ? ids[i] : undefined) }, step.explanation, args.step, tokens.length, { known: texts.length, unknownTail: step.unknownTail }),
  ];
  if (sweep) lines.push(renderSweep(sweep, true));
  if (branch) {
    const before = tokens.slice(0, args.step).map((t) => t.text).join('');
    lines.push('', `branch from step ${args.step} with ${JSON.stringify(branch.text)}, continued by ${branch.continuedBy}: ${JSON.stringify(before)} + ${JSON.stringify(branch.text + branch.completion.text)} (${branch.completion.finishReason})`);
  }
  console.log(lines.join('\n'));
  return 0;
}

/** The step as JSON, in the local shape, each token with its text and the server's id (−1 where it gives none). */
function approximateJson(step: KnownStep) {
  const { ids, texts } = step.known;
  const named = <T extends { token: number }>(t: T) => ({ ...t, token: ids[t.token]!, text: texts[t.token]! });
  const view = step.explanation;
  return {
    approximate: true,
    known: texts.length,
    knownMass: step.knownMass,
    unknownTail: step.unknownTail,
    explanation: { ...view, tokens: view.tokens.map(named), chosen: view.chosen && named(view.chosen) },
  };
}

interface ServerBranch {
  text: string;
  completion: Completion;
  continuedBy: string;
  /** The tokens the server read prompt + prefix as, when it said. */
  promptTokens?: number;
}

/** Continues prompt + the text before the step + `text` on the server, sampled as the run was. */
async function branchOnServer(engine: Engine, args: ExploreArgs, completion: Completion, text: string, signal: AbortSignal): Promise<ServerBranch> {
  const refusal = branchingRefusal(engine.capabilities, false);
  if (refusal || !engine.continueText) throw new UsageError(`--branch-text: ${refusal ?? `${engine.where} cannot continue a text prefix.`}`);
  const token = completion.tokens[args.step]!;
  const offered = [token.text, ...token.alternatives.map((a) => a.text)];
  if (!offered.includes(text)) throw new UsageError(`--branch-text ${JSON.stringify(text)} is not among the server's tokens at step ${args.step}: give the chosen token or one of ${offered.slice(1).map((t) => JSON.stringify(t)).join(', ')}.`);
  const prefix = shownTokensText([...completion.tokens.slice(0, args.step).map((t) => t.text), text]);
  const result = await engine.continueText({
    prompt: args.prompt,
    prefix,
    strategy: args.strategy,
    seed: completion.seed,
    // The forced token is the branch's first of the run's budget.
    maxNewTokens: Math.max(1, args.maxNewTokens - args.step - 1),
    topAlternatives: engine.capabilities.maxTopLogprobs,
    signal,
  });
  return { text, completion: result.completion, continuedBy: engine.where, ...(result.promptTokens !== undefined ? { promptTokens: result.promptTokens } : {}) };
}
