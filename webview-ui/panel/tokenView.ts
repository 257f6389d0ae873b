/**
 * Tokens of a completion: each coloured by its probability (theme chart colours), each
 * focusable, with a tooltip listing the top alternatives. One tab stop per completion; arrow
 * keys move between its tokens (a roving tabindex), so a card is not 30 tab stops long.
 */
import type { TokenInfo } from '../../src/core/decode/types';
import { fixed, known, percent, splitCharacterNote, visibleToken } from './format';

/** Probability bands, from most to least likely, with their lower bounds; CSS colours each band with a theme colour. */
export const PROBABILITY_BANDS = [
  { band: 'p-high', min: 0.8, label: '≥ 80%' },
  { band: 'p-mid', min: 0.5, label: '50–80%' },
  { band: 'p-low', min: 0.2, label: '20–50%' },
  { band: 'p-rare', min: 0, label: '< 20%' },
] as const;

export type ProbabilityBand = (typeof PROBABILITY_BANDS)[number]['band'];

export function probabilityBand(p: number): ProbabilityBand {
  return (PROBABILITY_BANDS.find((b) => p >= b.min) ?? PROBABILITY_BANDS[PROBABILITY_BANDS.length - 1]).band;
}

/**
 * The compact legend above the runs: what the token colours and markers mean. The swatches are
 * tokens of each band (the same CSS), so the legend cannot drift from the cards.
 */
export function legendElement(): HTMLElement {
  const legend = document.createElement('p');
  legend.className = 'legend';
  legend.id = 'legend';
  const item = (className: string, text: string, label: string) => {
    const swatch = document.createElement('span');
    swatch.className = className;
    swatch.textContent = text;
    const words = document.createElement('span');
    words.textContent = label;
    const pair = document.createElement('span');
    pair.className = 'legend-item';
    pair.append(swatch, words);
    return pair;
  };
  const title = document.createElement('span');
  title.className = 'legend-title';
  title.textContent = 'Token probability:';
  legend.append(
    title,
    ...PROBABILITY_BANDS.map((b) => item(`tok swatch ${b.band}`, 'ab', b.label)),
    item('tok swatch', '', 'end of sequence'),
    item('stop-marker', '∎', 'stop string'),
    item('tok swatch', '<0xE4>', 'bytes of a split character'),
  );
  legend.title = "Each token is coloured by the model's probability for it (before the sampler chain). Hover or focus a token for its top alternatives; click it, or press Enter, to open the distribution explorer. A token that holds only part of a UTF-8 character (byte-level tokenizers split some characters, emoji and CJK among them) shows its bytes, such as <0xE4><0xBD>, instead of \"�\".";
  return legend;
}

/** `vocabSize`: the logits width, for a constrained token's "12,304 of 151,936 tokens allowed". */
export function tokenElement(token: TokenInfo, vocabSize?: number): HTMLSpanElement {
  const span = document.createElement('span');
  // A token of unknown probability (a server without log-probs) gets no colour band rather than a wrong one.
  span.className = known(token.logprobRaw) ? `tok ${probabilityBand(Math.exp(token.logprobRaw))}` : 'tok p-unknown';
  span.textContent = token.text;
  span.tabIndex = -1;
  span.setAttribute('role', 'button');
  const allowed = allowedText(token, vocabSize);
  const split = splitCharacterNote(token.text);
  span.setAttribute('aria-label', `${JSON.stringify(token.text)}${split ? ` (${split})` : ''}, ${known(token.logprobRaw) ? `probability ${percent(Math.exp(token.logprobRaw))}` : 'probability unknown'}${allowed ? `, ${allowed}` : ''}`);
  span.setAttribute('aria-describedby', 'token-tooltip');
  if (allowed) span.dataset.allowed = allowed;
  tokenData.set(span, { token, vocabSize });
  return span;
}

/** "12,304 of 151,936 tokens allowed" for a token decoded under a schema's mask; undefined otherwise. */
export function allowedText(token: TokenInfo, vocabSize?: number): string | undefined {
  if (token.allowed === undefined || vocabSize === undefined) return undefined;
  return `${token.allowed.toLocaleString('en-US')} of ${vocabSize.toLocaleString('en-US')} tokens allowed`;
}

const tokenData = new WeakMap<HTMLElement, { token: TokenInfo; vocabSize?: number }>();

/** Wires tooltips and arrow-key movement for every completion under `root`, once. */
export function installTokenInteractions(root: HTMLElement, tooltip: HTMLElement): void {
  const show = (target: HTMLElement) => {
    const data = tokenData.get(target);
    if (!data) return;
    tooltip.replaceChildren(tooltipContent(data.token, data.vocabSize));
    tooltip.hidden = false;
    const box = target.getBoundingClientRect();
    const top = box.bottom + 4 + tooltip.offsetHeight > window.innerHeight ? box.top - tooltip.offsetHeight - 4 : box.bottom + 4;
    tooltip.style.top = `${Math.max(0, top + window.scrollY)}px`;
    tooltip.style.left = `${Math.max(0, Math.min(box.left, window.innerWidth - tooltip.offsetWidth - 4) + window.scrollX)}px`;
  };
  const hide = () => {
    tooltip.hidden = true;
  };
  const tokenOf = (e: Event) => (e.target instanceof HTMLElement && e.target.classList.contains('tok') ? e.target : undefined);

  root.addEventListener('mouseover', (e) => {
    const t = tokenOf(e);
    if (t) show(t);
  });
  root.addEventListener('mouseout', (e) => {
    if (tokenOf(e) && document.activeElement !== e.target) hide();
  });
  root.addEventListener('focusin', (e) => {
    const t = tokenOf(e);
    if (t) show(t);
  });
  root.addEventListener('focusout', (e) => {
    if (tokenOf(e)) hide();
  });
  root.addEventListener('keydown', (e) => {
    const t = tokenOf(e);
    if (!t) return;
    if (e.key === 'Escape') return hide();
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    const edge = e.key === 'Home' ? 'first' : e.key === 'End' ? 'last' : undefined;
    if (!step && !edge) return;
    const all = [...(t.parentElement?.querySelectorAll<HTMLElement>('.tok') ?? [])];
    const next = edge === 'first' ? all[0] : edge === 'last' ? all[all.length - 1] : all[all.indexOf(t) + step];
    if (!next) return;
    e.preventDefault();
    t.tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
  });
}

/** Makes the first token of a completion its tab stop (after the tokens change). */
export function resetRovingFocus(completion: HTMLElement): void {
  const tokens = completion.querySelectorAll<HTMLElement>('.tok');
  if (tokens.length === 0 || [...tokens].some((t) => t.tabIndex === 0)) return;
  tokens[0]!.tabIndex = 0;
}

function tooltipContent(token: TokenInfo, vocabSize?: number): DocumentFragment {
  const frag = document.createDocumentFragment();
  const head = document.createElement('div');
  head.className = 'tip-head';
  head.textContent = known(token.logprobRaw) ? `${JSON.stringify(token.text)}  p=${percent(Math.exp(token.logprobRaw))}  log p=${fixed(token.logprobRaw, 3)}` : `${JSON.stringify(token.text)}  p unknown (the server returned no log-probs)`;
  const sub = document.createElement('div');
  sub.className = 'tip-sub';
  sub.textContent = known(token.logprobSampling)
    ? `after the chain: p=${percent(Math.exp(token.logprobSampling))}, ${token.candidates} candidate${token.candidates === 1 ? '' : 's'} kept`
    : 'after the chain: unknown (the server sampled with its own chain)';
  const split = splitCharacterNote(token.text);
  const note = document.createElement('div');
  note.className = 'tip-bytes';
  note.textContent = split ? `${split.charAt(0).toUpperCase()}${split.slice(1)}.` : '';
  const table = document.createElement('table');
  const caption = document.createElement('caption');
  caption.textContent = 'Top alternatives (raw distribution)';
  table.append(caption);
  for (const alt of token.alternatives) {
    const row = table.insertRow();
    // A server's alternatives may carry no token ids (-1): then the text says which one was chosen.
    if (token.token >= 0 ? alt.token === token.token : alt.text === token.text) row.className = 'chosen';
    row.insertCell().textContent = visibleToken(alt.text) || '⟨eos⟩';
    const bar = row.insertCell();
    bar.className = 'bar';
    bar.style.setProperty('--p', String(alt.prob));
    row.insertCell().textContent = percent(alt.prob);
  }
  const allowed = allowedText(token, vocabSize);
  if (allowed) {
    // The chain ran on the masked row: its numbers are over the allowed tokens only.
    const mask = document.createElement('div');
    mask.className = 'tip-allowed';
    mask.textContent = `Schema mask: ${allowed}`;
    frag.append(head, mask, sub);
  } else {
    frag.append(head, sub);
  }
  if (split) frag.append(note);
  frag.append(table);
  return frag;
}
