/**
 * What every run in the panel shares, whatever it shows: a header button (the prompt and a line
 * of facts) that folds the run's body away, and a notice line for truncation and errors. A long
 * prompt shows its first lines in the header and the whole of it folded in the body; a prompt
 * taken from a string literal says so. The
 * views of comparisons and risk checks (runView.ts) and of JSON runs (jsonRoutesView.ts) build
 * their cards inside `body`.
 */
import type { RunRecord } from '../../src/protocol/messages';
import { button, el } from './dom';
import type { RunActions } from './runActions';
import { promptHead } from './format';

export abstract class RunFrame {
  readonly element: HTMLElement;
  protected readonly body: HTMLElement;
  protected readonly meta: HTMLElement;
  protected readonly notice: HTMLElement;
  private readonly toggle: HTMLButtonElement;

  constructor(
    protected run: RunRecord,
    className: string,
    actions: RunActions,
    /** Comparisons and risk checks export; a JSON run's routes have no export. */
    exportable: boolean,
  ) {
    this.element = el('section', className);
    this.element.dataset.runId = run.id;
    const bodyId = `run-${run.id}-body`;
    this.toggle = el('button', 'run-toggle');
    this.toggle.setAttribute('aria-controls', bodyId);
    const prompt = el('span', 'run-prompt');
    const head = promptHead(run.prompt);
    prompt.textContent = head === undefined ? run.prompt : `${head}…`;
    this.meta = el('span', 'run-meta');
    this.toggle.append(prompt);
    if (run.promptSource === 'string-literal') {
      const source = el('span', 'run-prompt-source');
      source.textContent = 'taken from a string literal: escapes decoded, parts joined';
      source.title = 'The selection was inside a string literal in code, so the prompt is its value as the program sees it.';
      this.toggle.append(source);
    }
    this.toggle.append(this.meta);
    this.toggle.addEventListener('click', () => this.setExpanded(!this.expanded));
    this.body = el('div', 'run-body');
    this.body.id = bodyId;
    this.notice = el('p', 'notice');
    this.notice.hidden = true;
    this.element.append(this.toggle, this.body);
    const tools = el('div', 'run-tools');
    tools.setAttribute('role', 'group');
    tools.setAttribute('aria-label', 'This run');
    if (exportable) {
      tools.append(
        button('Export Markdown', 'Open this run as Markdown (a table: settings, completion, log-probs) in a new editor', () => actions.runAction(run.id, 'exportMarkdown')),
        button('Export JSON', 'Open this run as JSON (the shape of sampling-lab compare --json) in a new editor', () => actions.runAction(run.id, 'exportJson')),
      );
    }
    tools.append(button('Delete', 'Delete this run from the history', () => actions.runAction(run.id, 'delete')));
    this.body.append(tools);
    if (head !== undefined) {
      const full = el('details', 'prompt-full');
      const summary = el('summary');
      summary.textContent = `Whole prompt (${run.prompt.length.toLocaleString('en-US')} characters, ${run.prompt.split('\n').length.toLocaleString('en-US')} lines)`;
      const text = el('pre', 'prompt-full-text');
      text.textContent = run.prompt;
      full.append(summary, text);
      this.body.append(full);
    }
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
