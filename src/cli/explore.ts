/**
 * `sampling-lab explore "<prompt>" --step K`: the distribution explorer in a terminal. Generates
 * one completion, then shows step K's distribution as a text chart, what each stage of the chain
 * keeps under the given settings, and optionally the temperature sweep and a branch. With
 * --endpoint a server samples and the step is its top log-probs (exploreKnown.ts).
 */
import { compareStrategies, preparePrompt } from '../core/decode/compare';
import { DEFAULT_ORDER, kindFromName, StrategyError, strategyFromSettings } from '../core/decode/strategies';
import { completionLogits, continueFrom, stepHistory, type BranchResult } from '../core/explorer/branch';
import { explainStep } from '../core/explorer/explainStep';
import { explorerSettingsOf, explorerStrategy, type ExplorerSettings } from '../core/explorer/settings';
import { temperatureSweep } from '../core/explorer/temperatureSweep';
import type { Engine } from '../core/engine/types';
import type { CausalLM } from '../core/model/types';
import { stageTypeFromName } from '../core/sampling/registry';
import type { StageType } from '../core/sampling/types';
import { openCliEngine } from './loadModel';
import { deviceFlag, dtypeFlag, threadsFlag, flagOfSetting, integer, MODEL_OPTIONS, MODEL_USAGE, promptFormatFlags, parseFlags, promptArgument, SAMPLER_OPTIONS, samplerFlagsHelp, samplerSettingsFromFlags } from './flags';
import { UsageError } from './usageError';
import { decodeEscapes } from '../core/decode/runInputs';
import { endpointArgs, ENDPOINT_OPTIONS, ENDPOINT_USAGE } from './endpoint';
import { exploreKnownStep, refuseUnreplayable } from './exploreKnown';
import { modelNames, renderExplanation, renderSweep, type ExploreArgs } from './exploreView';

export const EXPLORE_USAGE = `Usage: sampling-lab explore "<prompt>" [--step K] [options]

Generates one completion, then shows the distribution at step K: the top tokens with their raw
probabilities, the entropy, the tail mass, and what each stage of the sampler chain keeps under
the settings below. "\\n" in the prompt is a newline.

Options:
  --step K            the step to explore, from 0 (default 0)
  --strategy KIND     how the completion is generated: greedy, temperature, top-k, top-p, min-p
                      (default greedy)
  --order LIST        chain order, e.g. top_p,temperature (default ${DEFAULT_ORDER.join(',')})
  --top N             tokens shown (default 30)
  --sweep             also print the temperature sweep (T from 0.1 to 2.0)
  --branch ID         continue from token ID instead of the chosen one, with the settings above
  --branch-text TEXT  with --endpoint: continue on the server from TEXT (the chosen token or one
                      of the server's top tokens at step K), sampled with --strategy
  --seed N            seed (default 42)
  --max-tokens N      new tokens (default 16)
${MODEL_USAGE}
${ENDPOINT_USAGE}
                      explore then shows the server's top log-probs (up to 20) and the rest as
                      an unknown tail, marked approximate: the settings below renormalise the
                      known part; stages that read the history or token ids are refused
  --json              machine-readable output
  -h, --help          this help

The explorer's settings (default: the strategy's own; --top-k 0 is off), one flag per stage parameter:
${samplerFlagsHelp()}`;


export function parseExploreArgs(argv: string[]): ExploreArgs | 'help' {
  const parsed = parseFlags(
    argv,
    {
      step: { type: 'string' },
      strategy: { type: 'string' },
      ...SAMPLER_OPTIONS,
      order: { type: 'string' },
      top: { type: 'string' },
      sweep: { type: 'boolean' },
      branch: { type: 'string' },
      'branch-text': { type: 'string' },
      ...MODEL_OPTIONS,
      ...ENDPOINT_OPTIONS,
    },
    EXPLORE_USAGE,
    { negatives: true },
  );
  const v = parsed.values;
  if (v.help) return 'help';
  const prompt = promptArgument(parsed.positionals, EXPLORE_USAGE);
  const device = deviceFlag(v.device);
  const kind = kindFromName(v.strategy ?? 'greedy');
  if (!kind || kind === 'custom' || kind === 'best_of_n') {
    throw new UsageError(`Unknown strategy "${v.strategy}". Use one of: greedy, temperature, top-k, top-p, min-p.`);
  }
  let order: StageType[] | undefined;
  if (v.order !== undefined) {
    const names = (v.order as string).split(',').map((s) => s.trim());
    const bad = names.filter((n) => stageTypeFromName(n) === undefined);
    if (bad.length > 0) throw new UsageError(`--order takes stage names from: ${DEFAULT_ORDER.join(', ')} (got "${bad.join(', ')}").`);
    order = names.map((n) => stageTypeFromName(n)!);
  }
  const overrides: Partial<ExplorerSettings> = { ...samplerSettingsFromFlags(v), ...(order && { order }) };
  const endpoint = endpointArgs(v);
  const format = promptFormatFlags(v);
  const branchText = v['branch-text'] === undefined ? undefined : decodeEscapes(v['branch-text']);
  if (endpoint) {
    // Refused before anything is sent: a server returns token texts, not ids.
    if (v.branch !== undefined) throw new UsageError('--branch takes a token id, and a server returns token texts, not ids: with --endpoint use --branch-text TEXT (the chosen token or one of the server\'s top tokens at --step).');
    if (branchText !== undefined && format.chat) throw new UsageError('--branch-text continues the prompt as raw text, and a --chat run went through the server\'s own chat template, which a raw continuation cannot reproduce. Drop --chat to branch on the server.');
  } else if (branchText !== undefined) {
    throw new UsageError('--branch-text continues on a server by text and needs --endpoint URL; on a local model use --branch ID (the token ids are in the table).');
  }
  return {
    prompt,
    step: integer('--step', v.step, 0, 0, 4095),
    strategy: strategyFromSettings({ kind }, kind),
    overrides,
    topN: integer('--top', v.top, 30, 1, 1000),
    sweep: v.sweep ?? false,
    branch: v.branch === undefined ? undefined : integer('--branch', v.branch, 0, 0, Number.MAX_SAFE_INTEGER),
    branchText,
    seed: integer('--seed', v.seed, 42, 0, 0xffffffff),
    maxNewTokens: integer('--max-tokens', v['max-tokens'], 16, 1, 4096),
    model: v.model,
    device,
    dtype: dtypeFlag(v.dtype),
    threads: threadsFlag(v.threads),
    format,
    json: v.json ?? false,
    endpoint,
  };
}

/** The strategy's settings with the flags laid over them; a flag's error names the flag. */
export function settingsFor(args: ExploreArgs): ExplorerSettings {
  const settings: ExplorerSettings = { ...explorerSettingsOf(args.strategy.sampler).settings };
  for (const [key, value] of Object.entries(args.overrides)) {
    if (value !== undefined) (settings as unknown as Record<string, unknown>)[key] = value;
  }
  try {
    explorerStrategy(settings);
  } catch (e) {
    if (!(e instanceof StrategyError)) throw e;
    const field = e.setting.split('.').pop() ?? '';
    throw new UsageError(e.message.replace(`explorer.${field}`, field === 'order' ? '--order' : (flagOfSetting(field) ?? field)));
  }
  return settings;
}

const quote = (model: CausalLM, id: number) => JSON.stringify(model.tokenText(id));

export async function explore(argv: string[]): Promise<number> {
  const args = parseExploreArgs(argv);
  if (args === 'help') {
    console.log(EXPLORE_USAGE);
    return 0;
  }
  const settings = settingsFor(args);
  // Refused before anything is sent: a server's step is its top log-probs, with no history or token ids.
  if (args.endpoint) refuseUnreplayable(args, settings);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  let engine: Engine | undefined;
  try {
    engine = await openCliEngine(args, args.json, abort.signal);
    // The exact step reads every logit and the KV cache: a model this process holds. Any other
    // engine's step is its top log-probs, explained as the known part (marked approximate).
    return engine.causalLM ? await exploreExact(args, settings, engine.causalLM) : await exploreKnownStep(args, settings, engine, abort.signal);
  } finally {
    process.off('SIGINT', onSigint);
    await engine?.dispose();
  }
}

/** The step as the model in this process computes it: the full distribution, the chain replayed on it, a branch from the cache. */
async function exploreExact(args: ExploreArgs, settings: ExplorerSettings, model: CausalLM): Promise<number> {
  const run = await compareStrategies(model, args.prompt, [args.strategy], { maxNewTokens: args.maxNewTokens, seed: args.seed });
  const completion = run.results[0]!.best;
  const generated = completion.tokens.map((t) => t.token);
  if (args.step >= generated.length) {
    throw new UsageError(`--step ${args.step} is past the completion, which has ${generated.length} tokens (steps 0 to ${generated.length - 1}).`);
  }
  const promptIds = preparePrompt(model, args.prompt, args.maxNewTokens).ids;
  const logits = (await completionLogits(model, promptIds, generated)).at(args.step);
  const history = stepHistory(promptIds, generated, args.step);
  const view = explainStep(logits, history, settings, { chosenToken: generated[args.step]!, topN: args.topN, vocabulary: model });
  const sweep = args.sweep ? temperatureSweep(logits, generated[args.step]!) : undefined;
  let branch: BranchResult | undefined;
  if (args.branch !== undefined) {
    branch = await continueFrom(model, promptIds, generated.slice(0, args.step), args.branch, explorerStrategy(settings), {
      maxNewTokens: args.maxNewTokens - args.step,
      seed: args.seed,
    });
  }
  if (args.json) {
    console.log(JSON.stringify({ prompt: args.prompt, completion, step: args.step, settings, explanation: view, sweep, branch }, null, 2));
    return 0;
  }
  const lines = [
    `prompt ${JSON.stringify(args.prompt)} (${promptIds.length} tokens) · ${run.results[0]!.strategy.name}: ${JSON.stringify(completion.text)}`,
    renderExplanation(modelNames(model), view, args.step, generated.length),
  ];
  if (sweep) lines.push(renderSweep(sweep));
  if (branch) {
    const before = args.step > 0 ? model.decode(generated.slice(0, args.step)) : '';
    lines.push('', `branch from step ${args.step} with ${quote(model, args.branch!)}: ${JSON.stringify(before)} + ${JSON.stringify(branch.completion.text)} (${branch.completion.finishReason})`);
  }
  console.log(lines.join('\n'));
  return 0;
}
