/**
 * A "Generate JSON for Selection" run in the panel: four route cards side by side (prompting with
 * validation, post-processing with jsonrepair, constrained sampling, test-time compute), each
 * with its output pretty-printed, a valid/invalid badge with ajv's error paths, and tries, tokens
 * and time. The constrained card lists its tokens: hover or focus one to see how many tokens the
 * schema allowed at that step. Cards fill in as the routes finish.
 */
import { ROUTE_IDS, ROUTE_TITLES, type RouteId } from '../../src/core/structured/routeIds';
import type { RouteResult } from '../../src/core/structured/routes';
import type { RunRecord } from '../../src/protocol/messages';
import { button, el } from './dom';
import { RunFrame } from './runFrame';
import { fixed } from './format';
import type { RunActions } from './runActions';
import { resetRovingFocus, tokenElement } from './tokenView';

export class JsonRunView extends RunFrame {
  private readonly schema: HTMLDetailsElement;
  private readonly cards: Map<RouteId, RouteCardView>;

  constructor(
    run: RunRecord,
    actions: RunActions,
    expanded: boolean,
  ) {
    super(run, 'run json-run', actions, false);
    this.schema = el('details', 'json-schema');
    const grid = el('div', 'route-cards');
    grid.setAttribute('role', 'list');
    grid.setAttribute('aria-label', 'The four routes to JSON, side by side');
    this.cards = new Map(ROUTE_IDS.map((route, i) => [route, new RouteCardView(route, i, run.id, actions)]));
    grid.append(...[...this.cards.values()].map((c) => c.element));
    this.body.append(this.notice, this.schema, grid);
    this.setExpanded(expanded);
    this.update(run);
  }

  update(run: RunRecord): void {
    this.run = run;
    const structured = run.structured;
    this.element.dataset.status = run.status;
    this.element.dataset.kind = 'json';
    const o = run.options;
    this.meta.textContent = [
      run.model,
      run.backend ? run.backend.toUpperCase() : undefined,
      run.engine ? `sampled by ${run.engine.sampledBy}` : undefined,
      new Date(run.startedAt).toLocaleTimeString(),
      run.status,
      structured ? `schema ${structured.schemaSource}` : undefined,
      run.strategies[0]?.strategy.name,
      `max ${o.maxNewTokens} tokens, seed ${o.seed}, N = ${o.samples}`,
    ]
      .filter(Boolean)
      .join(' · ');
    const notes = [structured?.truncatedNotice, run.error].filter(Boolean);
    this.notice.textContent = notes.join(' ');
    this.notice.hidden = notes.length === 0;
    if (structured && !this.schema.hasChildNodes()) {
      const summary = el('summary');
      summary.textContent = `Schema: ${structured.schemaSource}`;
      const pre = el('pre', 'json-text');
      pre.textContent = JSON.stringify(structured.schema, null, 2);
      this.schema.append(summary, pre);
    }
    // Routes run in order: the first without a result is the one running now.
    let next = true;
    for (const [route, card] of this.cards) {
      const result = structured?.routes.find((r) => r.route === route);
      if (result) {
        card.showResult(result);
      } else {
        card.showPending(run.status === 'running' ? (next ? 'running' : 'waiting') : run.status);
        next = false;
      }
    }
  }

  /** JSON runs stream by route (`update`), not by token. */
  applyTokens(): void {}
}

class RouteCardView {
  readonly element: HTMLElement;
  private readonly badge: HTMLElement;
  private readonly stats: Record<'tries' | 'tokens' | 'time', HTMLElement>;
  private readonly note: HTMLElement;
  private readonly content: HTMLElement;
  private readonly insert: HTMLButtonElement;
  private readonly copy: HTMLButtonElement;
  private shown: RouteResult | undefined;

  constructor(
    private readonly route: RouteId,
    index: number,
    runId: string,
    actions: RunActions,
  ) {
    this.element = el('article', 'card route-card');
    this.element.dataset.route = route;
    this.element.setAttribute('role', 'listitem');
    this.element.setAttribute('aria-label', ROUTE_TITLES[route]);
    const header = el('header', 'card-header');
    const name = el('h3', 'card-name');
    name.textContent = ROUTE_TITLES[route];
    this.badge = el('span', 'route-badge');
    header.append(name, this.badge);
    this.stats = { tries: el('dd'), tokens: el('dd'), time: el('dd') };
    const dl = el('dl', 'stats route-stats');
    for (const [key, label] of [['tries', 'tries'], ['tokens', 'tokens'], ['time', 'time']] as const) {
      const pair = el('div', `stat stat-${key}`);
      const dt = el('dt');
      dt.textContent = label;
      pair.append(dt, this.stats[key]);
      dl.append(pair);
    }
    this.note = el('p', 'route-note');
    this.content = el('div', 'route-content');
    const actionsRow = el('div', 'actions');
    this.insert = button('Insert', 'Insert this JSON after the selection', () => this.shown && actions.insert(runId, this.shown.output, index));
    this.copy = button('Copy', 'Copy this JSON', () => this.shown && actions.copy(this.shown.output));
    actionsRow.append(this.insert, this.copy);
    this.element.append(header, dl, this.note, this.content, actionsRow);
  }

  /** No result yet: the route is `running`, `waiting` for the ones before it, or the run ended without it. */
  showPending(status: 'running' | 'waiting' | Exclude<RunRecord['status'], 'running'>): void {
    this.shown = undefined;
    const pending = status === 'running' || status === 'waiting';
    const state = pending ? `pending-${status}` : 'not-run';
    if (this.element.dataset.pending === state) return;
    this.element.dataset.state = pending ? 'pending' : 'not-run';
    this.element.dataset.pending = state;
    delete this.element.dataset.valid;
    this.badge.dataset.verdict = 'none';
    this.badge.textContent = status === 'running' ? 'running…' : status === 'waiting' ? 'waiting' : 'not run';
    this.badge.removeAttribute('aria-label');
    for (const dd of Object.values(this.stats)) dd.textContent = '…';
    this.note.textContent =
      status === 'running'
        ? 'Generating…'
        : status === 'waiting'
          ? 'Runs after the routes before it.'
          : status === 'aborted'
            ? 'Stopped before this route ran.'
            : 'The run ended before this route ran.';
    this.content.replaceChildren();
    this.insert.disabled = this.copy.disabled = true;
  }

  showResult(r: RouteResult): void {
    if (this.shown === r) return;
    this.shown = r;
    this.element.dataset.state = 'done';
    delete this.element.dataset.pending;
    this.element.dataset.valid = String(r.valid && !r.error);
    const verdict = r.error ? 'none' : r.valid ? 'valid' : 'invalid';
    this.badge.dataset.verdict = verdict;
    // Words and a mark, never colour alone.
    this.badge.textContent = verdict === 'valid' ? '✓ valid' : verdict === 'invalid' ? '✗ invalid' : '– not run';
    this.badge.setAttribute('aria-label', verdict === 'none' ? 'not run' : `${verdict} against the schema`);
    this.stats.tries.textContent = String(r.tries);
    this.stats.tokens.textContent = String(r.tokens);
    this.stats.time.textContent = `${fixed(r.timeMs, 0)} ms`;
    this.note.textContent = r.note;
    this.content.replaceChildren(...(r.error ? [errorElement(r.error)] : this.resultElements(r)));
    this.insert.disabled = this.copy.disabled = Boolean(r.error) || r.output.length === 0;
  }

  private resultElements(r: RouteResult): HTMLElement[] {
    const parts: HTMLElement[] = [];
    const output = el('pre', 'route-output json-text');
    output.textContent = r.output || '(empty)';
    // Focusable, so a keyboard can reach (and scroll) a long output.
    output.tabIndex = 0;
    output.setAttribute('aria-label', `${ROUTE_TITLES[this.route]} output`);
    parts.push(output);
    if (r.issues.length > 0) {
      const label = el('h4', 'route-label');
      label.textContent = `${r.issues.length} ${r.issues.length === 1 ? 'error' : 'errors'} (ajv, by path)`;
      const list = el('ul', 'route-issues');
      for (const issue of r.issues) {
        const item = el('li');
        const path = el('code', 'issue-path');
        path.textContent = issue.path === '' ? '(root)' : issue.path;
        item.append(path, ` ${issue.message}`);
        list.append(item);
      }
      parts.push(label, list);
    }
    if (r.engine) {
      const engine = el('p', 'route-engine');
      engine.textContent = `Engine: ${r.engine}. ${r.engineReason ?? ''}`;
      parts.push(engine);
    }
    const masked = r.outputTokens.filter((t) => t.allowed !== undefined);
    if (masked.length > 0) {
      const label = el('h4', 'route-label');
      label.textContent = `Tokens (median ${median(masked.map((t) => t.allowed!)).toLocaleString('en-US')} of ${r.vocabSize.toLocaleString('en-US')} allowed per step; hover or focus one)`;
      const line = el('p', 'completion route-tokens');
      line.setAttribute('aria-label', 'Constrained tokens; arrow keys move between them');
      line.append(...r.outputTokens.map((t) => tokenElement(t, r.vocabSize)));
      resetRovingFocus(line);
      parts.push(label, line);
    }
    if (r.attempts.length > 1) parts.push(attemptsElement(r));
    return parts;
  }
}

function attemptsElement(r: RouteResult): HTMLElement {
  const details = el('details', 'candidates');
  const summary = el('summary');
  const valid = r.attempts.filter((a) => a.valid).length;
  summary.textContent = `All ${r.attempts.length} ${r.route === 'test_time' ? 'candidates' : 'tries'} (${valid} valid)`;
  const list = el('ol');
  for (const a of r.attempts) {
    const item = el('li', a.valid ? 'valid' : 'invalid');
    item.textContent = `${a.valid ? '✓' : '✗'} ${JSON.stringify(a.text)} · ${a.tokens} tokens · mean log-prob ${fixed(a.meanLogprob, 3)}`;
    list.append(item);
  }
  details.append(summary, list);
  return details;
}

function errorElement(message: string): HTMLElement {
  const p = el('p', 'route-error');
  p.textContent = message;
  return p;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
