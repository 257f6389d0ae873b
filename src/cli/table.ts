/** Renders a comparison as a plain-text table for terminals. */
import type { CompareResult } from '../core/decode/types';
import { describeSampler } from '../core/sampling/chain';

function cell(text: string, width: number): string {
  const flat = text.replace(/\n/g, '⏎');
  return flat.length > width ? flat.slice(0, width - 1) + '…' : flat.padEnd(width);
}

export function renderTable(result: CompareResult): string {
  const server = result.sampledBy !== undefined;
  const rows = result.results.map((r) => [
    r.strategy.name,
    (server ? 'sampled by the server: ' : '') + describeSampler(r.strategy.sampler),
    JSON.stringify(r.best.text).slice(1, -1),
    Number.isNaN(r.best.meanLogprob) ? '–' : r.best.meanLogprob.toFixed(3),
    String(r.best.tokens.length),
    r.tokensPerSecond.toFixed(0),
    String(r.best.seed),
  ]);
  const head = ['strategy', 'settings', 'completion', 'mean logP', 'tokens', 'tok/s', 'seed'];
  const max = [16, 60, 40, 9, 6, 6, 10];
  const widths = head.map((h, i) => Math.min(max[i]!, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const line = (cols: string[]) => cols.map((c, i) => cell(c, widths[i]!)).join('  ').trimEnd();
  const out = [
    `model ${result.model} on ${result.device} · prompt ${result.promptTokens} tokens · prefill ${result.prefillMs.toFixed(0)} ms · total ${result.elapsedMs.toFixed(0)} ms (${result.tokensPerSecond.toFixed(0)} tok/s)`,
  ];
  if (result.promptFormat === 'chat' && result.renderedPrompt !== undefined) out.push(`prompt through the chat template (${result.promptTokens} tokens): ${JSON.stringify(result.renderedPrompt)}`);
  if (result.truncatedNotice) out.push(`note: ${result.truncatedNotice}`);
  if (result.sampledBy) out.push(`sampled by ${result.sampledBy}: only the parameters it honours were sent, in its own chain order`);
  out.push(line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line));
  for (const r of result.refused ?? []) out.push(`${r.strategy.name}: refused: ${r.reason}`);
  for (const r of result.results) {
    if (r.completions.length > 1) {
      const scores = r.completions.map((c, i) => `${i === r.bestIndex ? '*' : ''}${c.meanLogprob.toFixed(3)}`).join(' ');
      out.push(`${r.strategy.name}: ${r.completions.length} sequences, mean logP ${scores}${r.strategy.kind === 'best_of_n' ? ' (* kept)' : ''}`);
    }
  }
  return out.join('\n');
}
