/**
 * What every run in the panel shares, whatever it shows: a header button (the prompt and a line
 * of facts) that folds the run's body away, and a notice line for truncation and errors. The
 * views of comparisons and risk checks (runView.ts) and of JSON runs (jsonRoutesView.ts) build
 * their cards inside `body`.
 */
import type { RunRecord } from '../../src/protocol/messages';
import { el } from './dom';

export abstract class RunFrame {
  readonly element: HTMLElement;
  protected readonly body: HTMLElement;
  protected readonly meta: HTMLElement;
  protected readonly notice: HTMLElement;
  private readonly toggle: HTMLButtonElement;

  constructor(
    protected run: RunRecord,
    className: string,
  ) {
    this.element = el('section', className);
    this.element.dataset.runId = run.id;
    const bodyId = `run-${run.id}-body`;
    this.toggle = el('button', 'run-toggle');
    this.toggle.setAttribute('aria-controls', bodyId);
    const prompt = el('span', 'run-prompt');
    prompt.textContent = run.prompt;
    this.meta = el('span', 'run-meta');
    this.toggle.append(prompt, this.meta);
    this.toggle.addEventListener('click', () => this.setExpanded(!this.expanded));
    this.body = el('div', 'run-body');
    this.body.id = bodyId;
    this.notice = el('p', 'notice');
    this.notice.hidden = true;
    this.element.append(this.toggle, this.body);
  }

  get id(): string {
    return this.run.id;
  }

  /** Shows a newer record of the same run. */
  abstract update(run: RunRecord): void;

  get expanded(): boolean {
    return !this.body.hidden;
  }

  setExpanded(expanded: boolean): void {
    this.body.hidden = !expanded;
    this.toggle.setAttribute('aria-expanded', String(expanded));
    // main.ts keeps which runs are open in the webview state.
    this.element.dispatchEvent(new CustomEvent('run-toggled', { bubbles: true }));
  }
}
