/**
 * What `sampling-lab explore` parsed and how a step prints, shared by the local run (explore.ts)
 * and the run on a server (exploreKnown.ts), whose step is approximate: the server's top K
 * tokens and an unknown tail.
 */
import type { Strategy } from '../core/decode/types';
import type { StepExplanation } from '../core/explorer/explainStep';
import type { ExplorerSettings } from '../core/explorer/settings';
import type { SweepPoint } from '../core/explorer/temperatureSweep';
import type { CausalLM } from '../core/model/types';
import type { EndpointArgs } from './endpoint';
import type { ModelArgs } from './flags';

export interface ExploreArgs extends ModelArgs {
  prompt: string;
  step: number;
  strategy: Strategy;
  overrides: Partial<ExplorerSettings>;
  topN: number;
  sweep: boolean;
  /** Continue locally from this token id. */
  branch?: number;
  /** Continue on the server from this token text (--endpoint only). */
  branchText?: string;
  /** Run on an OpenAI-compatible server: the step is approximate. */
  endpoint?: EndpointArgs;
}

/** How the chart names a token: its text, and its id where there is one (a server may give none). */
export interface TokenNames {
  text(token: number): string;
  id(token: number): number | undefined;
}

export const modelNames = (model: CausalLM): TokenNames => ({ text: (id) => model.tokenText(id), id: (id) => id });

/** A step a server sampled: only its top `known` tokens, `unknownTail` of the mass outside them. */
export interface ApproximateNote {
  known: number;
  unknownTail: number;
}

export function renderExplanation(names: TokenNames, view: StepExplanation, step: number, steps: number, approximate?: ApproximateNote, barWidth = 30): string {
  const chosen = view.chosen!;
  const q = (token: number) => JSON.stringify(names.text(token));
  const id = (token: number) => (names.id(token) === undefined ? '' : `id ${names.id(token)}, `);
  const stats = `entropy ${view.entropyNats.toFixed(3)} nats (${view.entropyBits.toFixed(3)} bits) · top ${view.tokens.length} shown · tail mass ${view.tailMass.toPrecision(3)}`;
  const out = [
    ...(approximate
      ? [
          `approximate (server's top ${approximate.known}): the server returned only its top ${approximate.known} log-probs at this step; ` +
            `the unknown tail, ${approximate.unknownTail.toPrecision(3)} of the probability, is on tokens outside them. The chain runs on the known part, renormalised.`,
        ]
      : []),
    `step ${step} of ${steps}: chose ${q(chosen.token)} (${id(chosen.token)}raw rank ${chosen.rank}, p ${chosen.rawProb.toPrecision(4)})`,
    approximate ? `known part, renormalised: ${stats.replace('tail mass', 'not shown (unknown tail included)')}` : `raw distribution: ${stats}`,
    `chain: ${view.chain} · ${view.stages.map((s) => `${s.name} ${s.survivors}`).join(' → ')} · sampling chooses among ${view.final.surviving}${approximate ? ' of the known tokens' : ''}`,
    `the chosen token under these settings: p ${chosen.finalProb.toPrecision(4)}${chosen.cutBy ? ` (cut by ${chosen.cutBy})` : ''}${approximate ? ' (approximate)' : ''}`,
    '',
  ];
  const texts = view.tokens.map((t) => q(t.token));
  const tailLabel = 'unknown tail';
  const textWidth = Math.min(24, Math.max(5, ...texts.map((s) => s.length), approximate ? tailLabel.length : 0));
  const maxProb = Math.max(...view.tokens.map((t) => t.prob), 1e-300);
  out.push(`${'rank'.padStart(4)}  ${'token'.padEnd(textWidth)}  ${'p raw'.padStart(9)}  ${''.padEnd(barWidth)}  ${'p sampling'.padStart(10)}`);
  view.tokens.forEach((t, i) => {
    const text = texts[i]!.length > textWidth ? texts[i]!.slice(0, textWidth - 1) + '…' : texts[i]!.padEnd(textWidth);
    const bar = '█'.repeat(Math.round((t.prob / maxProb) * barWidth)).padEnd(barWidth);
    const final = t.cutBy ? `cut by ${t.cutBy}` : t.finalProb.toFixed(4).padStart(10);
    out.push(`${String(t.rank).padStart(4)}  ${text}  ${t.prob.toFixed(6).padStart(9)}  ${bar}  ${final}${t.chosen ? '  ◀ chosen' : ''}`);
  });
  if (approximate) {
    const bar = '░'.repeat(Math.min(barWidth, Math.round((approximate.unknownTail / maxProb) * barWidth))).padEnd(barWidth);
    out.push(`${'–'.padStart(4)}  ${tailLabel.padEnd(textWidth)}  ${approximate.unknownTail.toFixed(6).padStart(9)}  ${bar}  ${'unknown'.padStart(10)}`);
  }
  return out.join('\n');
}

export function renderSweep(points: SweepPoint[], approximate = false): string {
  const out = ['', `temperature sweep (chosen token${approximate ? ', over the known part: approximate' : ''}):`, `${'T'.padStart(5)}  ${'p(chosen)'.padStart(10)}  ${'entropy (bits)'.padStart(14)}`];
  for (const p of points) out.push(`${p.temperature.toFixed(2).padStart(5)}  ${p.chosenProb.toFixed(4).padStart(10)}  ${p.entropyBits.toFixed(3).padStart(14)}`);
  return out.join('\n');
}

