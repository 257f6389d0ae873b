/**
 * The panel's strategy editor: a folded form above the runs that adds, removes, duplicates,
 * reorders and edits the strategies of `samplingLab.strategies`, and saves them to user or
 * workspace settings through the host. Each entry stays the user's own settings object, so keys
 * the form has no field for are kept (and editable as JSON). Problems are shown at the entry as
 * they are typed, checked by the same parser a run uses; unsaved edits survive a reload, and a
 * list changed elsewhere meanwhile is never silently overwritten.
 */
import {
  addStrategy,
  changeKind,
  checkStrategies,
  displayName,
  duplicateStrategy,
  formParams,
  MAX_STRATEGIES,
  moveStrategy,
  otherSettings,
  removeStrategy,
  withFields,
  type StrategyEntry,
} from '../../src/core/decode/strategyEdits';
import { kindFromName, STRATEGY_KINDS } from '../../src/core/decode/strategies';
import type { StrategyKind } from '../../src/core/decode/types';
import type { SettingsTarget, StrategySettingsUpdate } from '../../src/protocol/messages';
import { button, el } from './dom';

/** Unsaved edits, kept in the webview state. */
export interface StrategyEdits {
  draft: StrategyEntry[];
  base: StrategyEntry[];
}

export interface StrategyEditorHost {
  save(strategies: StrategyEntry[], base: StrategyEntry[], target: SettingsTarget): void;
  /** Keeps unsaved edits across a reload (undefined: nothing unsaved). */
  persist(edits: StrategyEdits | undefined): void;
}

const KIND_LABELS: Record<StrategyKind, string> = {
  greedy: 'greedy',
  temperature: 'temperature',
  top_k: 'top-k',
  top_p: 'top-p (nucleus)',
  min_p: 'min-p',
  best_of_n: 'best-of-N',
  custom: 'custom chain',
};

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const clone = (list: readonly StrategyEntry[]): StrategyEntry[] => JSON.parse(JSON.stringify(list)) as StrategyEntry[];

export class StrategyEditor {
  readonly element: HTMLDetailsElement;
  private readonly summary: HTMLElement;
  private readonly list: HTMLOListElement;
  private readonly addKind: HTMLSelectElement;
  private readonly addButton: HTMLButtonElement;
  private readonly target: HTMLSelectElement;
  private readonly saveButton: HTMLButtonElement;
  private readonly revertButton: HTMLButtonElement;
  private readonly status: HTMLElement;
  private readonly problems: HTMLElement;
  private draft: StrategyEntry[] = [];
  /** The setting's list the draft was made from (a save is refused by the host if it has changed). */
  private base: StrategyEntry[] = [];
  /** The setting's newest list, when it changed while the draft had unsaved edits. */
  private newer: StrategyEntry[] | undefined;
  /**
   * Fields whose text is not a value at all (JSON that does not parse, letters in a number), by
   * "entry:field": the draft keeps the field's last good value until it is fixed.
   */
  private readonly fieldErrors = new Map<string, string>();
  private loaded = false;

  constructor(
    private readonly host: StrategyEditorHost,
    saved: StrategyEdits | undefined,
  ) {
    this.element = el('details', 'strategy-editor');
    this.element.id = 'strategy-editor';
    this.summary = el('summary');
    this.summary.textContent = 'Strategies';
    this.list = el('ol', 'strategy-list');
    this.list.setAttribute('aria-label', 'Strategies, in the order of their cards');
    this.problems = el('div', 'strategy-problems');
    this.problems.setAttribute('role', 'alert');

    const actions = el('div', 'strategy-actions');
    this.addKind = kindSelect('Kind of the strategy to add');
    this.addKind.value = 'top_p';
    this.addButton = button('Add', 'Add a strategy of this kind at the end', () => this.apply(() => addStrategy(this.draft, this.addKind.value as StrategyKind), this.draft.length, 'name'));
    const targetLabel = el('label', 'strategy-target');
    targetLabel.textContent = 'Save to ';
    this.target = el('select');
    for (const [value, text] of [['user', 'User settings'], ['workspace', 'Workspace settings']] as const) {
      const option = el('option');
      option.value = value;
      option.textContent = text;
      this.target.append(option);
    }
    targetLabel.append(this.target);
    this.saveButton = button('Save', 'Write this list to samplingLab.strategies', () => this.save());
    this.saveButton.classList.remove('action');
    this.revertButton = button('Revert', 'Drop the unsaved edits and show the list in settings', () => this.revert());
    actions.append(this.addKind, this.addButton, targetLabel, this.saveButton, this.revertButton);

    this.status = el('p', 'strategy-status');
    this.status.setAttribute('role', 'status');
    this.status.setAttribute('aria-live', 'polite');
    this.element.append(this.summary, this.list, this.problems, actions, this.status);
    this.element.addEventListener('keydown', (e) => this.onKey(e));
    if (saved) {
      this.draft = clone(saved.draft);
      this.base = clone(saved.base);
    }
    // Hidden until the host says what the setting holds: an empty form would announce a problem.
    this.element.hidden = true;
  }

  private get dirty(): boolean {
    return !same(this.draft, this.base) || this.fieldErrors.size > 0;
  }

  /** The host's view of the setting: now, after a change anywhere, or in reply to Save. */
  show(update: StrategySettingsUpdate): void {
    this.target.querySelector<HTMLOptionElement>('option[value="workspace"]')!.disabled = !update.workspace;
    const first = !this.loaded;
    this.loaded = true;
    this.element.hidden = false;
    if (update.error) {
      // Refused: the edits stay. The next Save is made against the list as it is now.
      this.base = clone(update.strategies);
      this.newer = same(update.strategies, this.draft) ? undefined : clone(update.strategies);
      this.say(update.error, 'error');
    } else if (this.dirty && !same(update.strategies, this.draft) && update.saved === undefined) {
      // Unsaved edits (kept across a reload, or being made) meet the setting's list.
      if (!same(update.strategies, this.base)) {
        this.newer = clone(update.strategies);
        this.say('samplingLab.strategies changed outside the panel. Your unsaved edits are kept: Revert to take the new list, or Save to replace it.', 'warning');
      } else if (first) this.say('Unsaved edits from before the panel reloaded: Save or Revert them.', 'info');
    } else {
      // The change event of our own save and the save's reply come in either order: only news clears the status.
      const changed = first || !same(update.strategies, this.base) || this.dirty;
      this.draft = clone(update.strategies);
      this.base = clone(update.strategies);
      this.newer = undefined;
      this.fieldErrors.clear();
      this.target.value = update.source === 'workspace' && update.workspace ? 'workspace' : 'user';
      if (update.saved) this.say(update.warning ?? `Saved to ${this.target.value === 'workspace' ? 'Workspace' : 'User'} settings.`, update.warning ? 'warning' : 'info');
      else if (changed) this.say('', 'info');
    }
    this.render();
  }

  private save(): void {
    if (this.fieldErrors.size > 0 || checkStrategies(this.draft).length > 0) return;
    this.say('Saving…', 'info');
    this.host.save(clone(this.draft), clone(this.base), this.target.value as SettingsTarget);
  }

  private revert(): void {
    this.draft = clone(this.newer ?? this.base);
    this.base = clone(this.draft);
    this.newer = undefined;
    this.fieldErrors.clear();
    this.say('', 'info');
    this.render();
    // Save and Revert are disabled now: focus goes to the first entry rather than the page body.
    this.list.querySelector<HTMLElement>('[data-field="name"]')?.focus();
  }

  private say(text: string, level: 'info' | 'warning' | 'error'): void {
    this.status.textContent = text;
    this.status.dataset.level = level;
    this.status.hidden = text === '';
  }

  /**
   * A change of the list's shape: applied, drawn again, and focus put on `focus` of entry
   * `index` (the moved, copied or added entry; the next one after a removal).
   */
  private apply(edit: () => StrategyEntry[], index: number, focus: string): void {
    try {
      this.draft = edit();
    } catch (e) {
      this.say((e as Error).message, 'error');
      return;
    }
    this.fieldErrors.clear();
    this.render();
    const rows = this.list.children;
    const row = rows[Math.min(index, rows.length - 1)];
    (row?.querySelector<HTMLElement>(`[data-field="${focus}"]:not(:disabled)`) ?? row?.querySelector<HTMLElement>('[data-field="name"]'))?.focus();
  }

  /** Alt+Up / Alt+Down move the entry with focus, as its Up and Down buttons do. */
  private onKey(e: KeyboardEvent): void {
    if (!e.altKey || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
    const row = (e.target as HTMLElement).closest<HTMLElement>('.strategy-row');
    if (!row) return;
    e.preventDefault();
    const index = Number(row.dataset.index);
    const to = index + (e.key === 'ArrowUp' ? -1 : 1);
    if (to < 0 || to >= this.draft.length) return;
    const field = (e.target as HTMLElement).dataset.field ?? 'name';
    this.apply(() => moveStrategy(this.draft, index, to), to, field);
  }

  private render(): void {
    this.summary.textContent = `Strategies (${this.draft.length})${this.dirty ? ' · unsaved edits' : ''}`;
    this.list.replaceChildren(...this.draft.map((entry, i) => this.row(entry, i)));
    this.addButton.disabled = this.draft.length >= MAX_STRATEGIES;
    this.showProblems();
  }

  /** Problems shown at their entries, and Save offered only when there are none and something changed. */
  private showProblems(): void {
    const problems = checkStrategies(this.draft);
    const byRow = new Map<number, string[]>();
    for (const [key, message] of this.fieldErrors) {
      const i = Number(key.split(':')[0]);
      byRow.set(i, [...(byRow.get(i) ?? []), message]);
    }
    for (const p of problems) if (p.index !== undefined) byRow.set(p.index, [...(byRow.get(p.index) ?? []), p.message]);
    [...this.list.children].forEach((row, i) => {
      const error = row.querySelector<HTMLElement>('.strategy-error')!;
      const messages = byRow.get(i) ?? [];
      error.textContent = messages.join(' ');
      error.hidden = messages.length === 0;
      row.toggleAttribute('data-invalid', messages.length > 0);
      for (const input of row.querySelectorAll<HTMLElement>('input, select')) input.setAttribute('aria-invalid', String(messages.length > 0));
    });
    const general = problems.filter((p) => p.index === undefined).map((p) => p.message);
    this.problems.textContent = general.join(' ');
    this.problems.hidden = general.length === 0;
    const valid = problems.length === 0 && this.fieldErrors.size === 0;
    this.saveButton.disabled = !valid || !this.dirty;
    this.revertButton.disabled = !this.dirty && !this.newer;
    this.summary.textContent = `Strategies (${this.draft.length})${this.dirty ? ' · unsaved edits' : ''}${valid ? '' : ' · needs a fix'}`;
    this.host.persist(this.dirty ? { draft: this.draft, base: this.base } : undefined);
  }

  private row(entry: StrategyEntry, index: number): HTMLLIElement {
    const row = el('li', 'strategy-row');
    row.dataset.index = String(index);
    const name = displayName(entry, index);
    row.setAttribute('aria-label', `Strategy ${index + 1}: ${name}`);
    const number = `strategy ${index + 1}`;

    const head = el('div', 'strategy-head');
    const nameInput = el('input', 'strategy-name');
    nameInput.type = 'text';
    nameInput.dataset.field = 'name';
    nameInput.value = typeof entry.name === 'string' ? entry.name : '';
    nameInput.placeholder = name;
    nameInput.setAttribute('aria-label', `Name of ${number} (empty: built from its settings)`);
    nameInput.addEventListener('input', () => this.edit(index, { name: nameInput.value.trim() || undefined }));
    const kind = kindSelect(`Kind of ${number}`);
    kind.dataset.field = 'kind';
    // An alias written in settings ("top-p", "nucleus") shows as its kind; an unknown one as none, with the checker's message.
    kind.value = (typeof entry.kind === 'string' && kindFromName(entry.kind)) || '';
    kind.addEventListener('change', () => this.apply(() => this.draft.map((e, i) => (i === index ? changeKind(e, kind.value as StrategyKind) : e)), index, 'kind'));
    head.append(nameInput, kind);

    const tools = el('div', 'strategy-tools');
    tools.setAttribute('role', 'group');
    tools.setAttribute('aria-label', `Move, copy or remove ${number}`);
    const up = button('Up', `Move ${name} up (Alt+Up)`, () => this.apply(() => moveStrategy(this.draft, index, index - 1), index - 1, 'up'));
    up.dataset.field = 'up';
    up.disabled = index === 0;
    const down = button('Down', `Move ${name} down (Alt+Down)`, () => this.apply(() => moveStrategy(this.draft, index, index + 1), index + 1, 'down'));
    down.dataset.field = 'down';
    down.disabled = index === this.draft.length - 1;
    const duplicate = button('Duplicate', `Add a copy of ${name} after it`, () => this.apply(() => duplicateStrategy(this.draft, index), index + 1, 'name'));
    duplicate.dataset.field = 'duplicate';
    duplicate.disabled = this.draft.length >= MAX_STRATEGIES;
    const remove = button('Remove', `Remove ${name}`, () => this.apply(() => removeStrategy(this.draft, index), index, 'remove'));
    remove.dataset.field = 'remove';
    remove.disabled = this.draft.length <= 1;
    for (const b of [up, down, duplicate, remove]) b.setAttribute('aria-label', b.title);
    tools.append(up, down, duplicate, remove);

    const params = el('div', 'strategy-params');
    const kindValue = (STRATEGY_KINDS as readonly string[]).includes(kind.value) ? (kind.value as StrategyKind) : 'greedy';
    for (const p of formParams(kindValue)) {
      const label = el('label', 'strategy-param');
      const text = el('span');
      text.textContent = p.setting;
      const input = el('input');
      input.type = 'number';
      input.dataset.field = p.setting;
      input.min = String(p.min);
      if (Number.isFinite(p.max)) input.max = String(p.max);
      input.step = p.integer ? '1' : 'any';
      input.title = p.help;
      input.setAttribute('aria-label', `${p.setting} of ${number}: ${p.help}`);
      const value = entry[p.setting];
      input.value = typeof value === 'number' ? String(value) : '';
      input.placeholder = 'preset';
      input.addEventListener('input', () => {
        const key = `${index}:${p.setting}`;
        // Text that is no number reads as '' in a number input: say so rather than drop the setting.
        if (input.validity.badInput) {
          this.fieldErrors.set(key, `${p.setting} of strategy ${index + 1} is not a number.`);
          return this.showProblems();
        }
        this.fieldErrors.delete(key);
        this.edit(index, { [p.setting]: input.value === '' ? undefined : Number(input.value) });
      });
      label.append(text, input);
      params.append(label);
    }
    const other = el('label', 'strategy-other');
    const otherText = el('span');
    otherText.textContent = 'more settings (JSON)';
    const otherInput = el('input');
    otherInput.type = 'text';
    otherInput.dataset.field = 'other';
    otherInput.spellcheck = false;
    const rest = otherSettings(entry);
    otherInput.value = Object.keys(rest).length > 0 ? JSON.stringify(rest) : '';
    otherInput.placeholder = '{"repetitionPenalty": 1.1}';
    otherInput.setAttribute('aria-label', `More settings of ${number}, as a JSON object (any key of samplingLab.strategies)`);
    otherInput.addEventListener('input', () => this.editOther(index, otherInput.value));
    other.append(otherText, otherInput);
    params.append(other);

    const error = el('p', 'strategy-error');
    error.id = `strategy-error-${index}`;
    error.hidden = true;
    for (const input of [nameInput, kind, otherInput, ...params.querySelectorAll('input')]) input.setAttribute('aria-describedby', error.id);
    row.append(head, tools, params, error);
    return row;
  }

  /** A field typed into: the entry changes in place (no redraw, so the caret stays). */
  private edit(index: number, fields: StrategyEntry): void {
    const entry = this.draft[index]!;
    const next: StrategyEntry = { ...entry };
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) delete next[key];
      else next[key] = value;
    }
    this.draft = this.draft.map((e, i) => (i === index ? next : e));
    this.showProblems();
  }

  private editOther(index: number, text: string): void {
    let parsed: unknown;
    try {
      parsed = text.trim() === '' ? {} : JSON.parse(text);
    } catch (e) {
      this.fieldErrors.set(`${index}:other`, `More settings of strategy ${index + 1} are not JSON (${(e as Error).message}); write an object like {"repetitionPenalty": 1.1}.`);
      this.showProblems();
      return;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      this.fieldErrors.set(`${index}:other`, `More settings of strategy ${index + 1} must be a JSON object like {"repetitionPenalty": 1.1}.`);
      this.showProblems();
      return;
    }
    this.fieldErrors.delete(`${index}:other`);
    const entry = this.draft[index]!;
    this.draft = this.draft.map((e, i) => (i === index ? withFields(e, shownFields(entry), parsed as StrategyEntry) : e));
    this.showProblems();
  }
}

/** The entry's fields the form shows as their own inputs. */
function shownFields(entry: StrategyEntry): StrategyEntry {
  const rest = otherSettings(entry);
  return Object.fromEntries(Object.entries(entry).filter(([key]) => !(key in rest)));
}

function kindSelect(label: string): HTMLSelectElement {
  const select = el('select', 'strategy-kind');
  select.setAttribute('aria-label', label);
  for (const kind of STRATEGY_KINDS) {
    const option = el('option');
    option.value = kind;
    option.textContent = KIND_LABELS[kind];
    select.append(option);
  }
  return select;
}
