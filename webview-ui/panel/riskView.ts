/**
 * Hallucination risk in the panel: the risk card of a "Check Hallucination Risk" run (the main
 * answer with each sentence highlighted by its risk, the samples grouped by cluster with counts,
 * the score and band, the one-line explanation) and the risk badge of a comparison card with
 * samples. Bands and sentence levels are never colour alone: each shows its word or number,
 * on the badge itself or on hover and focus.
 */
import { UNBACKED_SENTENCE_RISK, type RiskReport, type RunRecord } from '../../src/protocol/messages';
import { button, el } from './dom';
import { fixed, percent } from './format';
import type { RunActions } from './runActions';

/** Sentence highlight levels; `sr-high` is "not backed by most samples". */
export function sentenceLevel(risk: number): 'sr-low' | 'sr-mid' | 'sr-high' {
  if (risk >= UNBACKED_SENTENCE_RISK) return 'sr-high';
  if (risk >= UNBACKED_SENTENCE_RISK / 2) return 'sr-mid';
  return 'sr-low';
}

/** "High risk 0.97": the band in words and the score, focusable, the explanation on hover. */
export function riskBadge(report: RiskReport): HTMLElement {
  const badge = el('span', 'risk-badge');
  badge.dataset.band = report.band;
  badge.textContent = `${report.band} risk ${fixed(report.risk, 2)}`;
  badge.tabIndex = 0;
  badge.title = report.explanation;
  badge.setAttribute('aria-label', `Hallucination risk ${report.band}, score ${fixed(report.risk, 2)}: ${report.explanation}`);
  return badge;
}

export class RiskCardView {
  readonly element: HTMLElement;
  private readonly badgeSlot: HTMLElement;
  private readonly body: HTMLElement;

  constructor(
    private run: RunRecord,
    private readonly actions: RunActions,
  ) {
    this.element = el('article', 'card risk-card');
    this.element.setAttribute('aria-label', 'Hallucination risk');
    const header = el('header', 'risk-header');
    const title = el('h3', 'card-name');
    title.textContent = 'Hallucination risk';
    this.badgeSlot = el('span', 'risk-badge-slot');
    header.append(title, this.badgeSlot);
    this.body = el('div', 'risk-body');
    this.element.append(header, this.body);
    this.update(run);
  }

  update(run: RunRecord): void {
    this.run = run;
    const report = run.risks?.find((r) => r.mainStrategy === 0);
    this.element.dataset.state = report ? 'done' : run.status;
    this.badgeSlot.replaceChildren(...(report ? [riskBadge(report)] : []), ...(run.cached ? [cachedChip()] : []));
    if (report) this.body.replaceChildren(...this.reportElements(report));
    else this.body.replaceChildren(this.statusLine(run));
  }

  private statusLine(run: RunRecord): HTMLElement {
    const p = el('p', 'risk-status');
    const n = run.options.samples;
    if (run.status === 'running') p.textContent = `Sampling the greedy answer and ${n} samples…`;
    else if (run.status === 'aborted') p.textContent = 'Stopped before the check finished.';
    else p.textContent = `No risk score: ${run.error ?? 'the run gave no answer to check.'}`;
    return p;
  }

  private reportElements(report: RiskReport): HTMLElement[] {
    const explanation = el('p', 'risk-explanation');
    explanation.textContent = report.explanation;

    const answerLabel = el('h4', 'risk-label');
    answerLabel.textContent = 'Main answer (greedy), by sentence';
    const answer = el('p', 'risk-answer completion');
    let at = 0;
    for (const s of report.sentences) {
      if (s.start > at) answer.append(report.answer.slice(at, s.start));
      answer.append(sentenceElement(s));
      at = s.end;
    }
    if (at < report.answer.length) answer.append(report.answer.slice(at));

    const clusters = this.clusterList(report);

    const stats = el('dl', 'stats risk-stats');
    const pairs: [string, string][] = [
      ['risk', fixed(report.risk, 3)],
      ['agreement', percent(report.agreement)],
      ['entropy', `${fixed(report.entropy, 2)} nats`],
      ['mean log-prob', report.meanLogprob === undefined ? '–' : fixed(report.meanLogprob, 3)],
    ];
    for (const [label, value] of pairs) {
      const pair = el('div', 'stat');
      const dt = el('dt');
      dt.textContent = label;
      const dd = el('dd');
      dd.textContent = value;
      pair.append(dt, dd);
      stats.append(pair);
    }

    const actionsRow = el('div', 'actions');
    actionsRow.append(
      button('Insert', 'Insert the main answer after the selection; risky sentences get a warning in the editor', () =>
        this.actions.insert(this.run.id, report.answer, report.mainStrategy),
      ),
      button('Copy', 'Copy the main answer', () => this.actions.copy(report.answer)),
    );
    return [explanation, answerLabel, answer, clusters, stats, actionsRow];
  }

  /** The samples grouped by cluster, largest first, each with its count and share. */
  private clusterList(report: RiskReport): HTMLElement {
    const section = el('section', 'risk-clusters');
    section.dataset.samples = String(report.samples);
    const label = el('h4', 'risk-label');
    const groups = report.clusters.length;
    label.textContent = `${report.samples} samples in ${groups} group${groups === 1 ? '' : 's'}`;
    const list = el('ol', 'cluster-list');
    list.setAttribute('aria-label', label.textContent);
    const texts = this.run.result?.results[report.samplesStrategy]?.completions.map((c) => c.text) ?? [];
    report.clusters.forEach((c, i) => {
      const item = el('li', 'risk-cluster');
      item.dataset.size = String(c.size);
      const count = el('span', 'cluster-count');
      count.textContent = `${c.size} × `;
      count.setAttribute('aria-label', `${c.size} of ${report.samples} samples:`);
      const bar = el('span', 'cluster-bar');
      bar.style.setProperty('--share', String(c.size / report.samples));
      bar.setAttribute('aria-hidden', 'true');
      const text = el('q', 'cluster-text');
      text.textContent = c.example.trim();
      // Members may differ in form ("Paris." / "paris"): list them on hover.
      const variants = [...new Set(c.members.map((m) => texts[m]?.trim()).filter((t): t is string => !!t))];
      if (variants.length > 1) item.title = `Also: ${variants.map((v) => JSON.stringify(v)).join(', ')}`;
      item.append(count, bar, text);
      if (i === report.mainCluster) {
        const main = el('span', 'cluster-main');
        main.textContent = 'agrees with the main answer';
        item.append(main);
      }
      list.append(item);
    });
    section.append(label, list);
    return section;
  }
}

function sentenceElement(s: RiskReport['sentences'][number]): HTMLElement {
  const span = el('span', `risk-sentence ${sentenceLevel(s.risk)}`);
  span.textContent = s.text;
  span.tabIndex = 0;
  const backed = s.risk >= UNBACKED_SENTENCE_RISK ? 'not backed by most samples' : 'backed by most samples';
  const words = s.weakestWords.length > 0 ? `; least backed: ${s.weakestWords.join(', ')}` : '';
  span.dataset.risk = `risk ${fixed(s.risk, 2)}`;
  span.setAttribute('aria-label', `${s.text} — sentence risk ${fixed(s.risk, 2)}, ${backed}${words}`);
  return span;
}

function cachedChip(): HTMLElement {
  const chip = el('span', 'cached-chip');
  chip.textContent = 'cached';
  chip.title = 'From the response cache: the same prompt, model, settings and seed ran before (samplingLab.cache.enabled).';
  return chip;
}
