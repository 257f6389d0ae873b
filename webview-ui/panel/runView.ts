/**
 * One run in the panel: a header (prompt, model, backend, options) and one card per strategy.
 * Cards fill with tokens while the run streams, then show the final result: the completion,
 * mean log-prob, token count, tokens/s and seed, a risk badge when the card has samples, with
 * Insert and Copy. A risk check leads with its risk card; its two runs (greedy, samples) fold
 * away below it. A side-by-side of models shows a group of cards per model, under a heading
 * naming the model, each card labelled with it.
 */
import type { CompareResult, StrategyResult, TokenEvent } from '../../src/core/decode/types';
import { describeStops } from '../../src/core/decode/runInputs';
import type { PreferenceRecorded, RiskReport, RunRecord, StrategyView } from '../../src/protocol/messages';
import { button, el } from './dom';
import { RunFrame } from './runFrame';
import { cardRate, fixed, plainChain } from './format';
import { branchCard } from './branchCard';
import { PreferenceMarks } from './preferenceMarks';
import { RiskCardView, riskBadge } from './riskView';
import type { RunActions } from './runActions';
import { resetRovingFocus, tokenElement } from './tokenView';

export class RunView extends RunFrame {
  /** One group for a run on one model; one per model of a side-by-side, added as each starts. */
  private readonly groups: CardGroup[] = [];
  /** Where a side-by-side's groups go; absent for a run on one model. */
  private readonly modelGroups: HTMLElement | undefined;
  /** Branches made from the cards in the explorer, newest first. */
  private readonly branches: HTMLElement;
  private readonly riskCard: RiskCardView | undefined;
  /** Better / Worse on the cards of a comparison (not of a risk check, whose cards are its inputs). */
  private readonly preferences: PreferenceMarks | undefined;
  /** The exact text the model read (chat template or raw) and its token count, folded. */
  private readonly renderedPrompt: HTMLDetailsElement;
  private readonly renderedSummary: HTMLElement;
  private readonly renderedText: HTMLElement;

  constructor(
    run: RunRecord,
    private readonly actions: RunActions,
    expanded: boolean,
  ) {
    super(run, 'run', actions, true);
    this.renderedPrompt = el('details', 'rendered-prompt');
    this.renderedSummary = el('summary');
    this.renderedText = el('pre', 'rendered-prompt-text');
    this.renderedPrompt.append(this.renderedSummary, this.renderedText);
    this.renderedPrompt.hidden = true;
    // A run on a server says who sampled and what that changes, above its cards.
    const engineNote = el('p', 'run-engine');
    engineNote.hidden = run.engine === undefined;
    if (run.engine) engineNote.textContent = run.engine.notes.join(' ');
    this.branches = el('div', 'run-branches');
    this.branches.setAttribute('aria-label', 'Branches of these cards');
    if (run.models) {
      // Better / Worse pairs are within one model's cards; across models they are not recorded yet.
      this.modelGroups = el('div', 'model-groups');
      this.body.append(this.notice, this.modelGroups, this.branches);
      this.setExpanded(expanded);
      this.update(run);
      return;
    }
    if (run.kind !== 'risk' && run.strategies.length >= 2) this.preferences = new PreferenceMarks(run.id, actions);
    const group = new CardGroup(run, actions, this.preferences, false);
    this.groups.push(group);
    const grid = group.element;
    if (run.kind === 'risk') {
      this.riskCard = new RiskCardView(run, actions);
      const runs = el('details', 'risk-runs');
      const summary = el('summary');
      summary.textContent = 'The answers behind the check (greedy, and the samples with their tokens)';
      runs.append(summary, grid);
      this.body.append(this.notice, engineNote, this.renderedPrompt, this.riskCard.element, runs, this.branches);
    } else {
      this.body.append(this.notice, engineNote, this.renderedPrompt, ...(this.preferences ? [this.preferences.status] : []), grid, this.branches);
    }
    this.setExpanded(expanded);
    this.update(run);
  }

  /** Shows a record: its status, and its result or error when it has one. */
  update(run: RunRecord): void {
    this.run = run;
    this.element.dataset.status = run.status;
    this.element.dataset.kind = run.kind ?? 'compare';
    this.element.dataset.cached = String(run.cached === true);
    const time = new Date(run.startedAt).toLocaleTimeString();
    const o = run.options;
    this.element.dataset.sampledBy = run.engine?.sampledBy ?? '';
    this.meta.textContent = [
      run.model,
      run.backend ? run.backend.toUpperCase() : undefined,
      run.engine ? `sampled by ${run.engine.sampledBy}` : undefined,
      run.dtype,
      time,
      run.status,
      run.cached ? 'cached' : undefined,
      run.result ? `${fixed(run.result.tokensPerSecond, 1)} tokens/s over all cards` : undefined,
      `max ${o.maxNewTokens} tokens, seed ${o.seed}${o.samples > 1 ? `, ${o.samples} samples` : ''}`,
      o.stopStrings?.length ? `stops at ${describeStops(o.stopStrings)}` : undefined,
    ]
      .filter(Boolean)
      .join(' · ');
    const result = run.result;
    if (result?.renderedPrompt !== undefined) {
      this.renderedSummary.textContent = `Prompt ${result.promptFormat === 'chat' ? 'through the chat template' : 'as sent'} · ${result.promptTokens} tokens`;
      this.renderedText.textContent = result.renderedPrompt;
      this.renderedPrompt.dataset.format = result.promptFormat ?? 'raw';
      // A chat-templated prompt differs from the selection: show it open; a raw one stays folded.
      if (!this.renderedPrompt.dataset.shown) this.renderedPrompt.open = result.promptFormat === 'chat';
      this.renderedPrompt.dataset.shown = 'true';
    }
    this.renderedPrompt.hidden = result?.renderedPrompt === undefined;
    const notes = [run.result?.truncatedNotice, run.error].filter(Boolean);
    this.notice.textContent = notes.join(' ');
    this.notice.hidden = notes.length === 0;
    if (this.modelGroups) {
      (run.models ?? []).forEach((part, k) => {
        let group = this.groups[k];
        if (!group) {
          group = new CardGroup(part, this.actions, undefined, true);
          this.groups.push(group);
          this.modelGroups!.append(group.element);
        }
        group.update(part);
      });
    } else {
      this.groups[0]?.update(run);
      // Pairs are made from what history keeps: only a run the host has finished can be recorded.
      if (run.result && run.status === 'done') run.result.results.forEach((_, i) => this.preferences?.enable(i));
    }
    this.riskCard?.update(run);
    const branches = branchCards(run);
    this.branches.replaceChildren(...branches);
    this.branches.hidden = branches.length === 0;
  }

  showPreference(reply: PreferenceRecorded): void {
    this.preferences?.recordedAs(reply);
  }

  /** Streamed tokens of request `requestId`: the run's own, or one model's of a side-by-side. */
  applyTokens(events: readonly TokenEvent[], requestId = this.run.id): void {
    (this.groups.find((g) => g.id === requestId) ?? (this.modelGroups ? undefined : this.groups[0]))?.applyTokens(events);
  }
}

/**
 * The cards of a run on one model: the whole grid of a run, or, in a side-by-side of models, one
 * model's group with a heading naming it (model, where it came from, backend or server, weights,
 * status) and its own notes (why it did not run, what its server changes).
 */
class CardGroup {
  /** The grid of cards, or the model's section holding its heading, notes and grid. */
  readonly element: HTMLElement;
  readonly id: string;
  private readonly cards: CardView[];
  private readonly startedMs = performance.now();
  private readonly heading: HTMLElement | undefined;
  private readonly notice: HTMLElement | undefined;
  private readonly grid: HTMLElement;

  constructor(run: RunRecord, actions: RunActions, preferences: PreferenceMarks | undefined, grouped: boolean) {
    this.id = run.id;
    const grid = el('div', 'cards');
    this.grid = grid;
    this.cards = run.strategies.map((view, i) => new CardView(view, i, run, actions, preferences, grouped));
    grid.append(...this.cards.map((c) => c.element));
    if (!grouped) {
      this.element = grid;
      return;
    }
    this.element = el('section', 'model-group');
    this.element.dataset.partId = run.id;
    this.element.dataset.model = run.model;
    this.heading = el('h3', 'model-heading');
    this.notice = el('p', 'notice model-notice');
    this.notice.setAttribute('role', 'note');
    const engineNote = el('p', 'run-engine');
    engineNote.hidden = run.engine === undefined;
    if (run.engine) engineNote.textContent = run.engine.notes.join(' ');
    this.element.setAttribute('aria-label', `Model ${run.model}`);
    this.element.append(this.heading, this.notice, engineNote, grid);
  }

  update(run: RunRecord): void {
    if (this.heading && this.notice) {
      this.element.dataset.status = run.status;
      this.heading.textContent = [
        run.model,
        run.modelSource === run.model ? undefined : run.modelSource,
        run.backend ? run.backend.toUpperCase() : undefined,
        run.engine ? `sampled by ${run.engine.sampledBy}` : undefined,
        run.dtype,
        run.cached ? 'cached' : undefined,
        run.result ? `${fixed(run.result.tokensPerSecond, 1)} tokens/s` : undefined,
        run.status,
      ]
        .filter(Boolean)
        .join(' · ');
      const notes = [run.result?.truncatedNotice, run.error].filter(Boolean);
      this.notice.textContent = notes.join(' ');
      this.notice.hidden = notes.length === 0;
      // A model that never ran (it could not load, or Stop came first): its note says why; empty cards would add nothing.
      this.grid.hidden = run.status !== 'running' && !run.result && run.engine === undefined;
    }
    if (run.result) run.result.results.forEach((r, i) => this.cards[i]?.showResult(r, run.result!, run.kind === 'risk' ? undefined : run.risks?.find((k) => k.mainStrategy === i)));
    // Ended with nothing to show (stopped during the model load, or failed): no card keeps streaming.
    else if (run.status !== 'running') for (const card of this.cards) card.showNoResult(run.status);
    // What the engine cannot honour is said on that card, by name, from the start of the run.
    for (const refusal of run.engine?.refused ?? []) this.cards.find((c) => c.strategy === refusal.strategy)?.showRefused(refusal.reason);
  }

  applyTokens(events: readonly TokenEvent[]): void {
    const elapsedMs = performance.now() - this.startedMs;
    for (const e of events) this.cards[e.strategy]?.appendToken(e);
    for (const card of this.cards) card.showLiveStats(elapsedMs);
  }
}

class CardView {
  readonly element: HTMLElement;
  private readonly completions: HTMLElement;
  private readonly stats: Record<'mean' | 'tokens' | 'speed' | 'seed', HTMLElement>;
  private readonly candidates: HTMLDetailsElement;
  private readonly insert: HTMLButtonElement;
  private readonly copy: HTMLButtonElement;
  private readonly badgeSlot: HTMLElement;
  private text = '';
  private liveTokens = 0;
  /** Every token streamed into the card so far, and each sample's line: counted and found without a DOM query per token. */
  private streamedTokens = 0;
  private readonly lines = new Map<number, HTMLElement>();

  readonly strategy: string;

  constructor(
    view: StrategyView,
    index: number,
    private readonly run: RunRecord,
    actions: RunActions,
    preferences: PreferenceMarks | undefined,
    /** In a side-by-side of models: the card names its model. */
    labelModel = false,
  ) {
    this.strategy = view.strategy.name;
    this.element = el('article', 'card');
    this.element.dataset.strategyIndex = String(index);
    this.element.dataset.strategy = view.strategy.name;
    this.element.dataset.state = 'streaming';
    this.element.setAttribute('aria-label', `Strategy ${view.strategy.name}`);
    const header = el('header', 'card-header');
    const name = el('h3', 'card-name');
    name.textContent = view.strategy.name;
    const chain = el('code', 'card-chain');
    chain.textContent = plainChain(view.chain);
    chain.title = `Sampler chain, in the order it runs: the model's logits pass each stage, then a token is sampled (or the most likely taken, for greedy). As the CLI prints it: ${view.chain}`;
    this.badgeSlot = el('span', 'risk-badge-slot');
    header.append(name, chain, this.badgeSlot);
    if (labelModel) {
      this.element.dataset.model = run.model;
      this.element.setAttribute('aria-label', `Strategy ${view.strategy.name} on model ${run.model}`);
      const model = el('p', 'card-model');
      model.textContent = `Model: ${run.model}`;
      model.title = [run.model, run.modelSource, run.dtype].filter(Boolean).join(' · ');
      header.append(model);
    }
    if (run.engine) {
      // The chain above is what was asked for; the server ran its own, with the parameters it honours.
      const by = el('p', 'card-sampled-by');
      by.textContent = `Sampled by ${run.engine.sampledBy}`;
      by.title = 'The server drew these tokens with its own sampler, from the parameters it honours; the probabilities shown are its top log-probs.';
      header.append(by);
    }

    this.completions = el('div', 'completions');
    this.stats = { mean: el('dd'), tokens: el('dd'), speed: el('dd'), seed: el('dd') };
    const dl = el('dl', 'stats');
    for (const [key, label] of [['mean', 'mean log-prob'], ['tokens', 'tokens'], ['speed', 'tokens/s'], ['seed', 'seed']] as const) {
      const pair = el('div', `stat stat-${key}`);
      const dt = el('dt');
      dt.textContent = label;
      this.stats[key].textContent = '…';
      pair.append(dt, this.stats[key]);
      dl.append(pair);
    }
    this.stats.seed.textContent = String(run.options.seed);
    this.candidates = el('details', 'candidates') as HTMLDetailsElement;
    this.candidates.hidden = true;

    const actionsRow = el('div', 'actions');
    this.insert = button('Insert', 'Insert this completion after the selection', () => actions.insert(this.run.id, this.text, index));
    this.copy = button('Copy', 'Copy this completion', () => actions.copy(this.text));
    this.insert.disabled = this.copy.disabled = true;
    actionsRow.append(this.insert, this.copy);
    preferences?.addCard(index, this.element, view.strategy.name, actionsRow);
    this.element.append(header, this.completions, dl, this.candidates, actionsRow);
  }

  /**
   * One streamed token. Constant work per token (a heavy run streams tens of thousands), so the
   * page stays free to answer Stop at once.
   */
  appendToken(e: TokenEvent): void {
    let line = this.lines.get(e.sample);
    if (!line) {
      line = completionElement(e.sample);
      this.lines.set(e.sample, line);
      this.completions.append(line);
    }
    const token = tokenElement(e.token);
    // The line's first token is its tab stop (resetRovingFocus, without scanning the line).
    if (!line.firstChild) token.tabIndex = 0;
    line.append(token);
    this.streamedTokens++;
    if (e.sample === 0) this.liveTokens++;
  }

  showLiveStats(elapsedMs: number): void {
    if (this.element.dataset.state !== 'streaming') return;
    this.stats.tokens.textContent = String(this.liveTokens);
    this.stats.speed.textContent = elapsedMs > 0 ? fixed((this.streamedTokens * 1000) / elapsedMs, 1) : '…';
  }

  /** The engine cannot honour this strategy: nothing ran, and the card says why. */
  showRefused(reason: string): void {
    this.element.dataset.state = 'refused';
    const line = el('p', 'card-refused');
    line.setAttribute('role', 'note');
    line.textContent = `Not run: ${reason}.`;
    this.completions.replaceChildren(line);
    for (const stat of Object.values(this.stats)) stat.textContent = '—';
  }

  /** The run ended without a result for this card. */
  showNoResult(status: RunRecord['status']): void {
    this.element.dataset.state = status;
    for (const stat of Object.values(this.stats)) if (stat.textContent === '…') stat.textContent = '—';
  }

  /** The final result; `risk`: the shown completion checked against all of the card's completions. */
  showResult(r: StrategyResult, run: CompareResult, risk?: RiskReport): void {
    this.badgeSlot.replaceChildren(...(risk ? [riskBadge(risk)] : []));
    const best = r.best;
    this.text = best.text;
    const line = completionElement(r.bestIndex);
    line.dataset.text = best.text;
    line.append(...best.tokens.map(tokenElement));
    if (best.finishReason === 'stop') line.append(stopMarker());
    resetRovingFocus(line);
    this.completions.replaceChildren(line);
    this.lines.clear();
    this.element.dataset.state = 'done';
    this.element.dataset.finishReason = best.finishReason;
    this.stats.mean.textContent = fixed(best.meanLogprob, 3);
    this.stats.tokens.textContent = String(best.tokens.length);
    const rate = cardRate(r, run);
    this.stats.speed.textContent = fixed(rate.perSecond, 1);
    this.stats.speed.parentElement!.title = rate.explanation;
    this.stats.seed.textContent = String(best.seed);
    this.insert.disabled = this.copy.disabled = false;
    if (r.completions.length > 1) {
      const summary = el('summary');
      summary.textContent = `All ${r.completions.length} ${r.strategy.kind === 'best_of_n' ? 'candidates (best by mean log-prob)' : 'samples'}`;
      const list = el('ol');
      r.completions.forEach((c, i) => {
        const item = el('li', i === r.bestIndex ? 'best' : '');
        item.textContent = `${JSON.stringify(c.text)} · mean log-prob ${fixed(c.meanLogprob, 3)} · seed ${c.seed}${i === r.bestIndex ? ' · kept' : ''}`;
        list.append(item);
      });
      this.candidates.replaceChildren(summary, list);
      this.candidates.hidden = false;
    }
  }
}

/** Where a stop string ended the completion (the string itself is not part of the text). */
function stopMarker(): HTMLElement {
  const mark = el('span', 'stop-marker');
  mark.textContent = '∎';
  mark.title = 'Stopped at a stop string';
  mark.setAttribute('aria-label', 'stopped at a stop string');
  return mark;
}

function completionElement(sample: number): HTMLElement {
  const p = el('p', 'completion');
  p.dataset.sample = String(sample);
  p.setAttribute('aria-label', 'Completion; arrow keys move between tokens');
  return p;
}

/** A run's branch cards, newest first; a side-by-side's are its models' own, each named with its model. */
function branchCards(run: RunRecord): HTMLElement[] {
  const of = (cards: RunRecord, named: (strategy: string) => string) =>
    [...(cards.branches ?? [])].reverse().map((b) => branchCard(cards.id, named(cards.strategies[b.strategyIndex]?.strategy.name ?? 'strategy'), b));
  return run.models ? run.models.flatMap((part) => of(part, (strategy) => `${part.model} ${strategy}`)) : of(run, (strategy) => strategy);
}
