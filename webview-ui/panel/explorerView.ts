/**
 * The distribution explorer in the panel: click (or Enter on) a token of a finished card and the
 * section above the cards shows that step's distribution as an SVG bar chart, with live controls
 * for temperature, top-k, top-p, min-p and the chain order. Every number comes from the worker,
 * which runs the core's explainStep, the code the sampler runs. "Branch from here" continues from
 * an alternative token with the current settings as a new card linked to its parent.
 */
import type { ExplorerSettings } from '../../src/core/explorer/settings';
import { explorerSettingsOf } from '../../src/core/explorer/settings';
import type { StageType } from '../../src/core/sampling/types';
import type { ExplorerBranchReply, ExplorerReply, ExplorerRequest, ExplorerStepReply } from '../../src/protocol/explorer';
import type { BranchRecord } from '../../src/protocol/messages';
import { branchCard } from './branchCard';
import { validateExplorerReply } from '../../src/protocol/explorer';
import type { RunRecord } from '../../src/protocol/messages';
import { lineChart, svg } from './charts';
import { percent, visibleToken } from './format';

const STAGES: StageType[] = ['temperature', 'top_k', 'top_p', 'min_p'];

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]));
}

interface Target {
  run: RunRecord;
  strategyIndex: number;
  generated: number[];
  step: number;
}

export class ExplorerView {
  readonly element: HTMLElement;
  private target: Target | undefined;
  private settings: ExplorerSettings = { temperature: 1 };
  private nextId = 1;
  private latestStep = 0;
  private last: ExplorerStepReply | undefined;
  private readonly controls: Record<'temperature' | 'topK' | 'topP' | 'minP', HTMLInputElement>;
  private readonly outputs: Record<'temperature' | 'topK' | 'topP' | 'minP', HTMLOutputElement>;
  private readonly order: HTMLSelectElement;
  private readonly logScale: HTMLInputElement;
  private readonly title: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly chart: HTMLElement;
  private readonly sweep: HTMLElement;
  private readonly altSelect: HTMLSelectElement;
  private readonly branchButton: HTMLButtonElement;
  private readonly branches: HTMLElement;
  private readonly error: HTMLElement;

  constructor(
    private readonly send: (request: ExplorerRequest) => void,
    private readonly onBranch: (runId: string, branch: BranchRecord) => void,
  ) {
    const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls = '') => {
      const e = document.createElement(tag);
      if (cls) e.className = cls;
      return e;
    };
    this.element = el('section');
    this.element.id = 'explorer';
    this.element.hidden = true;
    this.element.setAttribute('aria-label', 'Distribution explorer');
    const head = el('div', 'ex-head');
    this.title = el('h2');
    const close = el('button');
    close.textContent = 'Close';
    close.addEventListener('click', () => (this.element.hidden = true));
    head.append(this.title, close);

    const controls = el('div', 'ex-controls');
    const mk = (key: 'temperature' | 'topK' | 'topP' | 'minP', label: string, attrs: Record<string, string>) => {
      const input = el('input');
      input.id = `explorer-${key}`;
      Object.assign(input, attrs);
      input.dataset.control = key;
      const lab = el('label');
      lab.htmlFor = input.id;
      lab.textContent = label;
      const out = el('output');
      out.htmlFor.add(input.id);
      input.addEventListener('input', () => this.readControls());
      controls.append(lab, input, out);
      return [input, out] as const;
    };
    const t = mk('temperature', 'Temperature', { type: 'range', min: '0', max: '2', step: '0.05' });
    const k = mk('topK', 'Top-k (0 off)', { type: 'number', min: '0', max: '1000', step: '1' });
    const p = mk('topP', 'Top-p (1 off)', { type: 'range', min: '0.01', max: '1', step: '0.01' });
    const m = mk('minP', 'Min-p (0 off)', { type: 'range', min: '0', max: '1', step: '0.01' });
    this.controls = { temperature: t[0], topK: k[0], topP: p[0], minP: m[0] };
    this.outputs = { temperature: t[1], topK: k[1], topP: p[1], minP: m[1] };
    this.order = el('select');
    this.order.id = 'explorer-order';
    for (const perm of permutations(STAGES)) {
      const o = el('option');
      o.value = perm.join(',');
      o.textContent = perm.join(' → ');
      this.order.append(o);
    }
    this.order.addEventListener('change', () => this.readControls());
    const orderLabel = el('label');
    orderLabel.htmlFor = this.order.id;
    orderLabel.textContent = 'Chain order';
    this.logScale = el('input');
    this.logScale.type = 'checkbox';
    this.logScale.id = 'explorer-log';
    this.logScale.addEventListener('change', () => this.last && this.drawChart(this.last));
    const logLabel = el('label');
    logLabel.htmlFor = this.logScale.id;
    logLabel.textContent = 'Log scale';
    controls.append(orderLabel, this.order, el('span'), logLabel, this.logScale, el('span'));

    this.summary = el('div', 'ex-summary');
    this.summary.setAttribute('aria-live', 'polite');
    this.chart = el('div', 'ex-chart');
    const sweepHead = el('h3');
    sweepHead.innerHTML = 'Temperature sweep: <span class="legend-p">p(chosen)</span> and <span class="legend-h">entropy (bits)</span>';
    this.sweep = el('div', 'ex-sweep');
    const branchRow = el('div', 'ex-branch');
    this.altSelect = el('select');
    this.altSelect.id = 'explorer-alt';
    this.altSelect.setAttribute('aria-label', 'Alternative token to branch from');
    this.branchButton = el('button');
    this.branchButton.id = 'explorer-branch';
    this.branchButton.textContent = 'Branch from here';
    this.branchButton.addEventListener('click', () => this.branch());
    branchRow.append(this.altSelect, this.branchButton);
    this.error = el('div', 'ex-error');
    this.branches = el('div', 'ex-branches');
    this.element.append(head, controls, this.summary, this.chart, sweepHead, this.sweep, branchRow, this.error, this.branches);
  }

  /** Opens the explorer on a token element of a finished card, if it is one. */
  openAt(tokenEl: HTMLElement, runs: readonly RunRecord[]): boolean {
    const line = tokenEl.closest<HTMLElement>('.completion');
    const card = tokenEl.closest<HTMLElement>('.card[data-strategy-index]');
    const runEl = tokenEl.closest<HTMLElement>('[data-run-id]');
    if (!line || !card || !runEl || card.dataset.state !== 'done') return false;
    const run = runs.find((r) => r.id === runEl.dataset.runId);
    const strategyIndex = Number(card.dataset.strategyIndex);
    const result = run?.result?.results[strategyIndex];
    const completion = result?.completions[Number(line.dataset.sample ?? result.bestIndex)] ?? result?.best;
    if (!run || !result || !completion) return false;
    const step = [...line.querySelectorAll('.tok')].indexOf(tokenEl);
    if (step < 0 || step >= completion.tokens.length) return false;
    this.target = { run, strategyIndex, generated: completion.tokens.map((t) => t.token), step };
    const { settings } = explorerSettingsOf(result.strategy.sampler);
    this.settings = { ...settings };
    this.writeControls();
    this.title.textContent = `Step ${step} of ${result.strategy.name}: ${JSON.stringify(completion.tokens[step]!.text)}`;
    this.element.dataset.step = String(step);
    this.element.dataset.runId = run.id;
    this.element.dataset.strategyIndex = String(strategyIndex);
    this.element.dataset.generated = this.target.generated.join(',');
    this.element.hidden = false;
    this.request();
    this.element.scrollIntoView({ block: 'start' });
    return true;
  }

  private writeControls(): void {
    const s = this.settings;
    this.controls.temperature.value = String(s.temperature);
    this.controls.topK.value = String(s.topK ?? 0);
    this.controls.topP.value = String(s.topP ?? 1);
    this.controls.minP.value = String(s.minP ?? 0);
    const order = (s.order ?? []).filter((x) => STAGES.includes(x));
    const full = [...order, ...STAGES.filter((x) => !order.includes(x))].join(',');
    this.order.value = full;
    this.showOutputs();
  }

  private showOutputs(): void {
    for (const key of ['temperature', 'topK', 'topP', 'minP'] as const) this.outputs[key].textContent = this.controls[key].value;
  }

  private readControls(): void {
    const num = (e: HTMLInputElement) => Number(e.value);
    const topK = num(this.controls.topK);
    const topP = num(this.controls.topP);
    const minP = num(this.controls.minP);
    this.settings = {
      temperature: num(this.controls.temperature),
      topK: topK > 0 ? Math.floor(topK) : undefined,
      topP: topP < 1 ? topP : undefined,
      minP: minP > 0 ? minP : undefined,
      order: this.order.value.split(',') as StageType[],
    };
    this.showOutputs();
    this.request();
  }

  private base() {
    const t = this.target!;
    const { chat, system } = t.run.options;
    return { prompt: t.run.prompt, maxNewTokens: t.run.options.maxNewTokens, generated: t.generated, step: t.step, settings: this.settings, ...(chat !== undefined ? { chat } : {}), ...(system !== undefined ? { system } : {}) };
  }

  private request(): void {
    if (!this.target) return;
    this.latestStep = this.nextId++;
    this.element.dataset.pending = 'true';
    this.send({ explorer: 'step', id: this.latestStep, ...this.base() });
  }

  private branch(): void {
    if (!this.target) return;
    const altToken = Number(this.altSelect.value);
    this.branchButton.disabled = true;
    this.send({ explorer: 'branch', id: this.nextId++, altToken, seed: this.target.run.options.seed, ...this.base() });
  }

  onReply(data: unknown): void {
    const reply = validateExplorerReply(data);
    if (typeof reply === 'string') {
      this.error.textContent = `Explorer: ${reply}`;
      return;
    }
    this.handle(reply);
  }

  private handle(reply: ExplorerReply): void {
    switch (reply.explorer) {
      case 'error':
        this.error.textContent = reply.error;
        this.branchButton.disabled = false;
        if (reply.id === this.latestStep) delete this.element.dataset.pending;
        return;
      case 'stepResult':
        if (reply.id !== this.latestStep) return;
        this.error.textContent = '';
        this.last = reply;
        this.drawSummary(reply);
        this.drawChart(reply);
        this.drawSweep(reply);
        this.fillAlternatives(reply);
        delete this.element.dataset.pending;
        this.element.dataset.ready = String(reply.id);
        this.element.dataset.promptIds = reply.promptIds.join(',');
        return;
      case 'branchResult':
        this.branchButton.disabled = false;
        this.addBranch(reply);
        return;
    }
  }

  private drawSummary(r: ExplorerStepReply): void {
    const top = r.bars[0]!;
    const span = (text: string, attrs: Record<string, string> = {}) => {
      const s = document.createElement('span');
      s.textContent = text;
      for (const [k, v] of Object.entries(attrs)) s.setAttribute(k, v);
      return s;
    };
    const chosenCut = r.chosen.cutBy ? ` (cut by ${r.chosen.cutBy})` : '';
    this.summary.replaceChildren(
      span(`Entropy ${r.entropyBits.toFixed(3)} bits`, { 'data-entropy-bits': String(r.entropyBits) }),
      span(`Tail mass (not shown) ${r.tailMass.toPrecision(3)}`, { 'data-tail-mass': String(r.tailMass) }),
      span(`Top token ${visibleToken(top.text) || '⟨eos⟩'}: p ${percent(top.finalProb)} under these settings (raw ${percent(top.prob)})`, {
        'data-explorer-top-prob': String(top.finalProb),
        'data-top-token': String(top.token),
        'data-top-raw-prob': String(top.prob),
      }),
      span(`Chosen ${visibleToken(r.chosen.text) || '⟨eos⟩'}: raw ${percent(r.chosen.rawProb)} → ${percent(r.chosen.finalProb)}${chosenCut}`, {
        'data-chosen-prob': String(r.chosen.finalProb),
      }),
      span(`Survivors: ${r.stages.map((s) => `${s.name} ${s.survivors}`).join(' → ')}; sampling chooses among ${r.surviving}`, {
        'data-surviving': String(r.surviving),
      }),
    );
  }

  private drawChart(r: ExplorerStepReply): void {
    const log = this.logScale.checked;
    const rowH = 16;
    const labelW = 120;
    const W = 620;
    const barW = 280;
    const H = r.bars.length * rowH + 4;
    const scale = (p: number) => {
      if (!log) return (p / Math.max(r.bars[0]!.prob, ...r.bars.map((b) => b.finalProb), 1e-12)) * barW;
      if (p <= 0) return 0;
      const floor = -8;
      return Math.max(0, (Math.log10(p) - floor) / -floor) * barW;
    };
    const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'bars', role: 'group', 'aria-label': `Top ${r.bars.length} tokens at this step${log ? ', log scale' : ''}` });
    r.bars.forEach((b, i) => {
      const y = i * rowH + 2;
      const g = svg('g', { class: `bar${b.chosen ? ' chosen' : ''}${b.cutBy ? ' cut' : ''}`, tabindex: 0, role: 'img', 'data-token': b.token });
      const stageMarks = b.survives.map((s) => (s ? '✓' : '✗')).join('');
      const aria = `${JSON.stringify(b.text)}${b.chosen ? ' (chosen)' : ''}: raw probability ${percent(b.prob)}, ${b.cutBy ? `cut by ${b.cutBy}` : `sampling probability ${percent(b.finalProb)}`}`;
      g.setAttribute('aria-label', aria);
      g.append(svg('rect', { class: 'hit', x: 0, y, width: W, height: rowH }));
      const label = svg('text', { x: labelW - 4, y: y + rowH - 4, 'text-anchor': 'end' });
      label.textContent = `${b.chosen ? '▶ ' : ''}${visibleToken(b.text) || '⟨eos⟩'}`.slice(0, 18);
      g.append(label);
      g.append(svg('rect', { class: 'raw', x: labelW, y: y + 1, width: Math.max(1, scale(b.prob)), height: rowH - 3 }));
      if (!b.cutBy) g.append(svg('rect', { class: 'final', x: labelW, y: y + 5, width: Math.max(1, scale(b.finalProb)), height: rowH - 10 }));
      const value = svg('text', { x: labelW + barW + 6, y: y + rowH - 4 });
      value.textContent = `${percent(b.prob)} → ${b.cutBy ? `cut (${b.cutBy})` : percent(b.finalProb)} ${stageMarks}`;
      g.append(value);
      const title = svg('title');
      title.textContent = aria;
      g.append(title);
      g.addEventListener('click', () => (this.altSelect.value = String(b.token)));
      g.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          this.altSelect.value = String(b.token);
          this.altSelect.focus();
        }
      });
      root.append(g);
    });
    const legend = document.createElement('p');
    legend.className = 'ex-legend';
    const order = r.stages.slice(1).map((s) => s.name).join(', ');
    legend.textContent = `Faint bar: raw probability; solid bar: the probability sampling uses under these settings; ▶ the chosen token. ✓/✗: kept or cut by each stage in chain order${order ? ` (${order})` : ''}.${log ? ' Log scale from 1e-8.' : ''}`;
    this.chart.replaceChildren(root, legend);
  }

  private drawSweep(r: ExplorerStepReply): void {
    const xs = r.sweep.map((p) => p.temperature);
    const maxH = Math.max(...r.sweep.map((p) => p.entropyBits), 1e-9);
    const chart = lineChart(
      xs,
      [
        { name: 'p(chosen)', colour: 'var(--vscode-charts-orange)', values: r.sweep.map((p) => p.chosenProb), max: 1 },
        { name: 'entropy', colour: 'var(--vscode-charts-purple)', values: r.sweep.map((p) => p.entropyBits), max: maxH },
      ],
      `Temperature sweep of ${JSON.stringify(r.chosen.text)} from T 0.1 to 2.0`,
      (i) => `T ${xs[i]!.toFixed(2)}: p(chosen) ${percent(r.sweep[i]!.chosenProb)}, entropy ${r.sweep[i]!.entropyBits.toFixed(2)} bits`,
    );
    this.sweep.replaceChildren(chart);
  }

  private fillAlternatives(r: ExplorerStepReply): void {
    const keep = this.altSelect.value;
    this.altSelect.replaceChildren(
      ...r.bars.map((b) => {
        const o = document.createElement('option');
        o.value = String(b.token);
        o.textContent = `${visibleToken(b.text) || '⟨eos⟩'} (${percent(b.prob)})${b.chosen ? ' · chosen' : ''}`;
        return o;
      }),
    );
    const firstAlt = r.bars.find((b) => !b.chosen);
    this.altSelect.value = r.bars.some((b) => String(b.token) === keep) ? keep : String(firstAlt?.token ?? r.bars[0]!.token);
  }

  private addBranch(r: ExplorerBranchReply): void {
    const t = this.target!;
    const strategy = t.run.strategies[t.strategyIndex]?.strategy.name ?? 'strategy';
    const record: BranchRecord = { strategyIndex: t.strategyIndex, step: r.step, tokenText: r.tokenText, text: r.text, firstText: r.tokens[0]?.text ?? '' };
    this.branches.prepend(branchCard(t.run.id, strategy, record));
    // The run keeps it (host history), so it is still there after a reload.
    this.onBranch(t.run.id, record);
  }

}
