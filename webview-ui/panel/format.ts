/** Number formats and token texts shared by the cards, the explorer and the status line. */
import { SPLIT_BYTE } from '../../src/core/model/tokenBytes';

export function percent(p: number): string {
  // Two significant digits below 0.1%, so rare alternatives stay distinguishable.
  return p >= 0.001 ? `${(p * 100).toFixed(1)}%` : `${(p * 100).toPrecision(2)}%`;
}

export function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : known(value) ? String(value) : '—';
}

/**
 * Is a log-prob known? A server that samples leaves its chain's log-probs unknown (NaN, which
 * JSON carries as null), and LM Studio returns none at all.
 */
export function known(value: number | null | undefined): value is number {
  return typeof value === 'number' && !Number.isNaN(value);
}

/** Makes whitespace in token text visible where it matters (a lone space or newline). */
export function visibleToken(text: string): string {
  return text.replace(/\n/g, '↵').replace(/^ /, '␣');
}

/**
 * What a token written as bytes (`<0xE4><0xBD>`: it holds part of a UTF-8 character, see
 * core/model/tokenBytes.ts) is, for its tooltip and screen-reader name; undefined for other tokens.
 */
export function splitCharacterNote(text: string): string | undefined {
  return SPLIT_BYTE.test(text) ? "part of a character: this token holds only some of a UTF-8 character's bytes, written <0xNN>; the completion's text has the whole character" : undefined;
}

/** How much of a prompt the run header shows before folding the rest away. */
export const PROMPT_FOLD = { lines: 4, chars: 280 };

/**
 * The head of a long prompt for the run header (the first lines, cut at a character budget), or
 * undefined when the prompt is short enough to show whole. A 20,000-character selection used to
 * put 890 lines into the header and push the cards out of sight.
 */
export function promptHead(prompt: string, fold = PROMPT_FOLD): string | undefined {
  const lines = prompt.split('\n');
  if (lines.length <= fold.lines && prompt.length <= fold.chars) return undefined;
  const head = lines.slice(0, fold.lines).join('\n');
  return head.length > fold.chars ? head.slice(0, fold.chars) : head;
}

/**
 * The sampler chain in plain words for a card: the chain as the CLI prints it, with llama.cpp's
 * final `dist` (draw from the distribution) said as "sample", and arrows for "then".
 */
export function plainChain(chain: string): string {
  return chain.replace(/(^| -> )dist(?=,|$)/, '$1sample').replace(/ -> /g, ' → ');
}

/**
 * A card's tokens/s, measured as the run's is: generated tokens (all its sequences) over the
 * run's wall time. The cards decode together in one batch, so their rates add up to the run's;
 * the core's per-strategy figure (tokens over the time until the strategy's last sequence ended)
 * gives back its token count even after history dropped the tokens of unshown sequences.
 */
export function cardRate(card: { tokensPerSecond: number; elapsedMs: number }, run: { elapsedMs: number; tokensPerSecond: number }): { tokens: number; perSecond: number; explanation: string } {
  const tokens = Math.round((card.tokensPerSecond * card.elapsedMs) / 1000);
  const perSecond = run.elapsedMs > 0 ? (tokens * 1000) / run.elapsedMs : 0;
  return {
    tokens,
    perSecond,
    explanation: `${tokens} generated tokens over the run's ${Math.round(run.elapsedMs)} ms, measured as the run's ${fixed(run.tokensPerSecond, 1)} tokens/s is. The cards decode together in one batch, so their rates add up to the run's.`,
  };
}
