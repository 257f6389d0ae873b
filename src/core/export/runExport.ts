/**
 * Exporting comparisons: the JSON the CLI's `compare --json` prints (one serializer for both), and
 * a Markdown report of runs, one table per run with each strategy's settings (the sampler chain),
 * completion, scores and per-token log-probs, for pasting into an issue or a notebook. A
 * side-by-side of models exports each model's cards, every row and object naming its model.
 */
import type { CompareResult } from '../decode/types';
import { describeStops } from '../decode/runInputs';

/** The CLI's `--json` text of a comparison; `partial` when it was stopped before the end. */
export function compareResultJson(result: CompareResult, partial = false): string {
  return JSON.stringify(partial ? { ...result, partial: true } : result, null, 2);
}

/** What an export reads of a run (the panel's history record, structurally). */
export interface ExportableRun {
  startedAt: string;
  prompt: string;
  model: string;
  backend?: string;
  status: string;
  error?: string;
  options: { maxNewTokens: number; seed: number; samples: number; stopStrings?: string[] };
  strategies: { strategy: { name: string }; chain: string }[];
  result?: CompareResult;
  /** A side-by-side of models: each model's own run (its cards, result and error). */
  models?: ExportableRun[];
  /** On a model of a side-by-side: where it came from ("folder /path", "endpoint NAME"). */
  modelSource?: string;
}

/** The runs that hold cards: the run itself, or each model's run of a side-by-side. */
export function runsWithCards<R extends ExportableRun>(run: R): R[] {
  return (run.models as R[] | undefined) ?? [run];
}

/** Runs with a result as the CLI's `--json` objects: one object for one run, an array for several. */
export function runsJson(runs: readonly ExportableRun[], single: boolean): string {
  // A model of a side-by-side is named in its object: `model` of the result, and where it came from.
  const objects = runs
    .flatMap((r) => runsWithCards(r))
    .filter((r) => r.result)
    .map((r) => ({ ...(JSON.parse(compareResultJson(r.result!, r.status === 'aborted')) as object), ...(r.modelSource ? { modelSource: r.modelSource } : {}) }));
  return single && objects.length === 1 ? JSON.stringify(objects[0], null, 2) : JSON.stringify(objects, null, 2);
}

/** A Markdown table cell: one line, pipes escaped, code spans not broken. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '↵');
}

const num = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));

/** The shown completion's tokens with their log-probs, e.g. `"Paris" −0.12 · "." −0.50`. */
function tokenLogprobs(result: CompareResult['results'][number]): string {
  return result.best.tokens.map((t) => `${JSON.stringify(t.text)} ${num(t.logprobRaw, 2)}`).join(' · ');
}

/** A code fence longer than any run of backticks in `text`, so the text cannot close it. */
function fence(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(Math.max(3, longest + 1));
}

/** One run as a Markdown section: heading, prompt, facts, and a table of its strategies. */
export function runMarkdown(run: ExportableRun): string {
  const o = run.options;
  const lines = [
    `## ${run.startedAt} · ${run.model}${run.backend ? ` (${run.backend})` : ''} · ${run.status}`,
    '',
    'Prompt:',
    '',
    `${fence(run.prompt)}text`,
    run.prompt,
    fence(run.prompt),
    '',
    `Max ${o.maxNewTokens} tokens · seed ${o.seed} · ${o.samples} sample${o.samples === 1 ? '' : 's'} per strategy${o.stopStrings?.length ? ` · stops at ${describeStops(o.stopStrings)}` : ''}`,
  ];
  if (run.error) lines.push('', `Note: ${run.error}`);
  const parts = run.models;
  // A side-by-side: a model column, and each model's own note (why it did not run).
  for (const part of parts ?? []) if (part.error) lines.push('', `Note on ${modelLabel(part)}: ${part.error}`);
  const header = ['strategy', 'settings', 'completion', 'mean log-prob', 'tokens', 'tokens/s', 'seed', 'finish', 'token log-probs'];
  const align = ['---', '---', '---', '---:', '---:', '---:', '---:', '---', '---'];
  lines.push('', `| ${[...(parts ? ['model'] : []), ...header].join(' | ')} |`, `| ${[...(parts ? ['---'] : []), ...align].join(' | ')} |`);
  for (const part of runsWithCards(run)) {
    part.strategies.forEach((view, i) => {
      const r = part.result?.results[i];
      const row = r
        ? [view.strategy.name, view.chain, r.best.text, num(r.best.meanLogprob, 3), String(r.best.tokens.length), num(r.tokensPerSecond, 1), String(r.best.seed), r.best.finishReason, tokenLogprobs(r)]
        : [view.strategy.name, view.chain, '', '', '', '', '', part.status, ''];
      lines.push(`| ${[...(parts ? [modelLabel(part)] : []), ...row].map(cell).join(' | ')} |`);
    });
  }
  return lines.join('\n');
}

/** A model of a side-by-side as a table names it: its name, and where it came from. */
function modelLabel(run: ExportableRun): string {
  return run.modelSource ? `${run.model} (${run.modelSource})` : run.model;
}

/** Runs as one Markdown document, newest first as given. */
export function runsMarkdown(runs: readonly ExportableRun[]): string {
  const title = runs.length === 1 ? '# Sampling Lab run' : `# Sampling Lab runs (${runs.length})`;
  return [title, ...runs.map(runMarkdown)].join('\n\n') + '\n';
}
