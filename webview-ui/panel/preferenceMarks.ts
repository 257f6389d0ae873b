/**
 * Marking the better of two cards of a comparison: "Better" on one card, then "Worse" on another,
 * records the pair (the host appends it to .sampling-lab/preferences.jsonl and answers with
 * `preferenceRecorded`). With focus anywhere in a card, B and W do the same, and Escape drops a
 * half-made mark. Two steps rather than one "A is better than B" button because a comparison has
 * five or more cards: any two of them can make a pair.
 */
import type { PreferenceRecorded } from '../../src/protocol/messages';
import { button, el } from './dom';

export interface PreferenceActions {
  prefer(runId: string, chosen: number, rejected: number): void;
}

interface MarkedCard {
  element: HTMLElement;
  name: string;
  better: HTMLButtonElement;
  worse: HTMLButtonElement;
}

export class PreferenceMarks {
  /** A status line under the run's cards; polite, so a screen reader hears each step. */
  readonly status: HTMLElement;
  private readonly cards: MarkedCard[] = [];
  private chosen: number | undefined;
  private waiting = false;
  private recorded = 0;

  constructor(
    private readonly runId: string,
    private readonly actions: PreferenceActions,
  ) {
    this.status = el('p', 'preference-status');
    this.status.setAttribute('role', 'status');
    this.status.setAttribute('aria-live', 'polite');
    this.status.hidden = true;
  }

  /** Adds Better and Worse to a card's actions row; they wait for its result (`enable`). */
  addCard(index: number, card: HTMLElement, name: string, actionsRow: HTMLElement): void {
    const better = button('Better', 'Mark this completion the better one of a pair (B)', () => this.markBetter(index));
    const worse = button('Worse', 'Mark this completion worse than the one marked better, and record the pair (W)', () => this.markWorse(index));
    better.classList.add('prefer-better');
    worse.classList.add('prefer-worse');
    better.setAttribute('aria-keyshortcuts', 'B');
    worse.setAttribute('aria-keyshortcuts', 'W');
    better.setAttribute('aria-pressed', 'false');
    better.disabled = worse.disabled = true;
    actionsRow.append(better, worse);
    card.addEventListener('keydown', (e) => {
      if (e.altKey || e.ctrlKey || e.metaKey || e.target instanceof HTMLInputElement) return;
      const key = e.key.toLowerCase();
      if (key === 'b' && !better.disabled) this.markBetter(index);
      else if (key === 'w' && !worse.disabled) this.markWorse(index);
      else if (e.key === 'Escape' && this.chosen !== undefined) this.reset('Mark dropped.');
      else return;
      e.preventDefault();
      e.stopPropagation();
    });
    this.cards[index] = { element: card, name, better, worse };
  }

  /** The card has its final completion: it can take part in a pair. */
  enable(index: number): void {
    const card = this.cards[index];
    if (card) card.better.disabled = card.worse.disabled = false;
  }

  /** The host's answer to the pair sent last. */
  recordedAs(reply: PreferenceRecorded): void {
    this.waiting = false;
    const chosen = this.cards[reply.chosen]?.name ?? `card ${reply.chosen + 1}`;
    const rejected = this.cards[reply.rejected]?.name ?? `card ${reply.rejected + 1}`;
    if (reply.error) {
      this.reset(`Not recorded: ${reply.error}`, 'error');
      return;
    }
    this.recorded++;
    this.reset(`Recorded: ${chosen} preferred to ${rejected}, in ${reply.file} (${this.recorded} from this run).`, 'recorded');
  }

  private markBetter(index: number): void {
    if (this.waiting) return;
    if (this.chosen === index) {
      this.reset('Mark dropped.');
      return;
    }
    this.clearMarks();
    this.chosen = index;
    const card = this.cards[index]!;
    card.element.dataset.preference = 'chosen';
    card.better.setAttribute('aria-pressed', 'true');
    this.say(`${card.name} marked better. Now mark the worse card (W), or press Escape.`);
  }

  private markWorse(index: number): void {
    if (this.waiting) return;
    if (this.chosen === undefined) {
      this.say('First mark the better card (B), then the worse one (W).');
      return;
    }
    if (this.chosen === index) {
      this.say('A card cannot be worse than itself: mark another card worse.');
      return;
    }
    this.cards[index]!.element.dataset.preference = 'rejected';
    this.waiting = true;
    this.say('Recording…');
    this.actions.prefer(this.runId, this.chosen, index);
  }

  private reset(message: string, tone?: 'error' | 'recorded'): void {
    this.clearMarks();
    this.say(message, tone);
  }

  private clearMarks(): void {
    this.chosen = undefined;
    for (const card of this.cards) {
      if (!card) continue;
      delete card.element.dataset.preference;
      card.better.setAttribute('aria-pressed', 'false');
    }
  }

  private say(message: string, tone?: 'error' | 'recorded'): void {
    this.status.textContent = message;
    this.status.hidden = false;
    if (tone) this.status.dataset.tone = tone;
    else delete this.status.dataset.tone;
  }
}
