/**
 * Exporting comparisons: the JSON the CLI's `compare --json` prints (one serializer for both), and
 * a Markdown report of runs, one table per run with each strategy's settings (the sampler chain),
 * completion, scores and per-token log-probs, for pasting into an issue or a notebook.
 */
import type { CompareResult } from '../decode/types';

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
  options: { maxNewTokens: number; seed: number; samples: number };
  strategies: { strategy: { name: string }; chain: string }[];
  result?: CompareResult;
}

/** Runs with a result as the CLI's `--json` objects: one object for one run, an array for several. */
export function runsJson(runs: readonly ExportableRun[], single: boolean): string {
  const objects = runs.filter((r) => r.result).map((r) => JSON.parse(compareResultJson(r.result!, r.status === 'aborted')) as unknown);
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
    `Max ${o.maxNewTokens} tokens · seed ${o.seed} · ${o.samples} sample${o.samples === 1 ? '' : 's'} per strategy`,
  ];
  if (run.error) lines.push('', `Note: ${run.error}`);
  lines.push('', '| strategy | settings | completion | mean log-prob | tokens | tokens/s | seed | finish | token log-probs |', '| --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- |');
  run.strategies.forEach((view, i) => {
    const r = run.result?.results[i];
    const row = r
      ? [view.strategy.name, view.chain, r.best.text, num(r.best.meanLogprob, 3), String(r.best.tokens.length), num(r.tokensPerSecond, 1), String(r.best.seed), r.best.finishReason, tokenLogprobs(r)]
      : [view.strategy.name, view.chain, '', '', '', '', '', run.status, ''];
    lines.push(`| ${row.map(cell).join(' | ')} |`);
  });
  return lines.join('\n');
}

/** Runs as one Markdown document, newest first as given. */
export function runsMarkdown(runs: readonly ExportableRun[]): string {
  const title = runs.length === 1 ? '# Sampling Lab run' : `# Sampling Lab runs (${runs.length})`;
  return [title, ...runs.map(runMarkdown)].join('\n\n') + '\n';
}
