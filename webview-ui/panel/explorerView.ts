/**
 * The distribution explorer in the panel: click (or Enter on) a token of a finished card and the
 * section above the cards shows that step's distribution as an SVG bar chart, with live controls
 * for every stage parameter the registry declares (temperature, top-k, top-p, min-p, typical-p,
 * DRY and its breakers, XTC, mirostat, logit bias, …) and the chain order as a reorderable list. Every number comes from the worker,
 * which runs the core's explainStep, the code the sampler runs. "Branch from here" continues from
 * an alternative token with the current settings as a new card linked to its parent.
 */
import type { TokenInfo } from '../../src/core/decode/types';
import type { ExplorerSettings } from '../../src/core/explorer/settings';
import { approximateStep } from './approximateExplorer';
import { explorerSettingsOf } from '../../src/core/explorer/settings';
import { STAGES } from '../../src/core/sampling/registry';
import type { BiasParam, NumberParam, StageDefinition, TextsParam } from '../../src/core/sampling/stage';
import type { StageType } from '../../src/core/sampling/types';
import type { ExplorerBranchReply, ExplorerReply, ExplorerRequest, ExplorerStepReply } from '../../src/protocol/explorer';
import type { BranchProgress, BranchRecord } from '../../src/protocol/messages';
import type { ExplorerRequester } from './workerClient';
import { branchCard } from './branchCard';
import { remoteBranchRefusal, type RemoteBranchCards } from './remoteBranch';
import { explorerControls, OFF_VALUE, readTextControl, textControlName, textControlPlaceholder, textControlText } from './explorerControls';
import type { RunRecord } from '../../src/protocol/messages';
import { lineChart, rovingFocus, svg } from './charts';
import { percent, splitCharacterNote, visibleToken } from './format';

const LEGACY_LABELS: Record<string, string> = { temperature: 'Temperature', topK: 'Top-k (0 off)', topP: 'Top-p (1 off)', minP: 'Min-p (0 off)' };

interface Control {
  stage: StageDefinition;
  param: NumberParam;
  input: HTMLInputElement;
  output: HTMLOutputElement;
}

/** A text field (DRY breakers, logit bias), with the line under it that says what is wrong with it. */
interface TextControl {
  stage: StageDefinition;
  param: TextsParam | BiasParam;
  input: HTMLInputElement;
  error: HTMLElement;
}

interface Target {
  run: RunRecord;
  strategyIndex: number;
  generated: number[];
  step: number;
  /** The completion of the card the token is on (a card with N samples shows several). */
  sample: number;
  /**
   * The step's token, when the run's engine knows only its top log-probs (a server): the
   * explorer then works on those here, approximately, and branches by asking the host to have
   * the server continue the text (remoteBranch.ts).
   */
  approximateFrom?: TokenInfo;
}

export class ExplorerView {
  readonly element: HTMLElement;
  private target: Target | undefined;
  private settings: ExplorerSettings = { temperature: 1 };
  private nextId = 1;
  /** The step request whose view is wanted: a reply to an older one is dropped. */
  private latestStep = '';
  private last: ExplorerStepReply | undefined;
  private readonly controls = new Map<string, Control>();
  private readonly textControls = new Map<string, TextControl>();
  /** A text field holds a line that is not a value: nothing re-runs or branches until it is fixed. */
  private invalid = false;
  /** Stages with an "on" checkbox (all but the four presets' own). */
  private readonly switches = new Map<StageType, HTMLInputElement>();
  /** The chain order: one item per stage that is on, moved with its ↑ / ↓ buttons. */
  private readonly order: HTMLOListElement;
  private orderTypes: StageType[] = [];
  private readonly logScale: HTMLInputElement;
  private readonly title: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly chart: HTMLElement;
  private readonly sweep: HTMLElement;
  /** The token that opened the explorer: focus returns to it on close. */
  private opener: HTMLElement | undefined;
  private readonly altSelect: HTMLSelectElement;
  private readonly branchButton: HTMLButtonElement;
  /**
   * A branch is being decoded. The button is marked busy rather than disabled: disabling the
   * focused button dropped focus to the page body.
   */
  private branchPending = false;
  private readonly branches: HTMLElement;
  private readonly error: HTMLElement;
  /** Why Branch is off, said on screen beside it (a tooltip alone is not seen). */
  private readonly branchNote: HTMLElement;

  constructor(
    private readonly requestOf: ExplorerRequester,
    private readonly onBranch: (runId: string, branch: BranchRecord) => void,
    private readonly remote?: RemoteBranchCards,
    /** The explorer's requester for a run whose model runs in the host (hostExplorer.ts). */
    private readonly hostRequestOf?: (runId: string) => ExplorerRequester,
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
    // Focus lands here when the explorer opens, so a keyboard user starts inside it.
    this.title.tabIndex = -1;
    const close = el('button');
    close.textContent = 'Close';
    close.setAttribute('aria-label', 'Close the distribution explorer (Escape)');
    close.addEventListener('click', () => this.close());
    head.append(this.title, close);
    this.element.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      e.stopPropagation();
      this.close();
    });

    const controls = el('div', 'ex-controls');
    for (const { stage, hasSwitch, params } of explorerControls()) {
      if (hasSwitch) {
        const on = el('input');
        on.type = 'checkbox';
        on.id = `explorer-on-${stage.type}`;
        on.addEventListener('change', () => this.readControls());
        const lab = el('label');
        lab.htmlFor = on.id;
        lab.textContent = stage.title;
        lab.title = stage.summary;
        controls.append(lab, on, el('span'));
        this.switches.set(stage.type, on);
      }
      for (const control of params) {
        if (control.kind === 'text') {
          controls.append(...this.textControl(stage, control.param));
          continue;
        }
        const param = control.param;
        const input = el('input');
        input.id = `explorer-${param.setting}`;
        const off = OFF_VALUE[param.setting];
        const range = param.setting === 'topK' ? { type: 'number', min: '0', max: '1000', step: '1' } : { type: 'range', min: String(off === 1 ? 0.01 : param.control.min), max: String(param.control.max), step: String(param.control.step) };
        Object.assign(input, range);
        input.dataset.control = param.setting;
        const lab = el('label');
        lab.htmlFor = input.id;
        lab.textContent = LEGACY_LABELS[param.setting] ?? `· ${param.field}`;
        lab.title = param.help;
        const out = el('output');
        out.htmlFor.add(input.id);
        input.addEventListener('input', () => this.readControls());
        controls.append(lab, input, out);
        this.controls.set(param.setting, { stage, param, input, output: out });
      }
    }
    this.order = el('ol', 'ex-order');
    this.order.id = 'explorer-order';
    this.order.setAttribute('aria-label', 'Chain order');
    const orderLabel = el('span');
    orderLabel.textContent = 'Chain order';
    controls.append(orderLabel, this.order, el('span'));
    this.logScale = el('input');
    this.logScale.type = 'checkbox';
    this.logScale.id = 'explorer-log';
    this.logScale.addEventListener('change', () => this.last && this.drawChart(this.last));
    const logLabel = el('label');
    logLabel.htmlFor = this.logScale.id;
    logLabel.textContent = 'Log scale';
    controls.append(logLabel, this.logScale, el('span'));

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
    this.branchNote = el('p', 'ex-branch-note');
    this.branchNote.id = 'explorer-branch-note';
    this.branchButton.setAttribute('aria-describedby', this.branchNote.id);
    branchRow.append(this.altSelect, this.branchButton, this.branchNote);
    this.error = el('div', 'ex-error');
    this.branches = el('div', 'ex-branches');
    this.element.append(head, controls, this.summary, this.chart, sweepHead, this.sweep, branchRow, this.error, this.branches);
  }

  /** A labelled text field for a text or bias parameter; every edit re-runs the step once it reads as a value. */
  private textControl(stage: StageDefinition, param: TextsParam | BiasParam): HTMLElement[] {
    const input = document.createElement('input');
    input.type = 'text';
    input.id = `explorer-${param.setting}`;
    input.dataset.control = param.setting;
    input.spellcheck = false;
    input.placeholder = textControlPlaceholder(param);
    const lab = document.createElement('label');
    lab.htmlFor = input.id;
    lab.textContent = `· ${param.field}`;
    lab.title = param.help;
    input.setAttribute('aria-label', `${textControlName(stage, param)}: ${param.help}`);
    const error = document.createElement('div');
    error.className = 'ex-param-error';
    error.id = `${input.id}-error`;
    error.setAttribute('aria-live', 'polite');
    input.setAttribute('aria-describedby', error.id);
    input.addEventListener('input', () => this.readControls());
    this.textControls.set(param.setting, { stage, param, input, error });
    return [lab, input, document.createElement('span'), error];
  }

  /** Opens the explorer on a token element of a finished card, if it is one. */
  openAt(tokenEl: HTMLElement, runs: readonly RunRecord[]): boolean {
    const line = tokenEl.closest<HTMLElement>('.completion');
    const card = tokenEl.closest<HTMLElement>('.card[data-strategy-index]');
    const runEl = tokenEl.closest<HTMLElement>('[data-run-id]');
    if (!line || !card || !runEl || card.dataset.state !== 'done') return false;
    // A card of a side-by-side belongs to its model's record, not to the run holding them all.
    const partId = tokenEl.closest<HTMLElement>('[data-part-id]')?.dataset.partId;
    const outer = runs.find((r) => r.id === runEl.dataset.runId);
    const run = partId === undefined ? outer : outer?.models?.find((m) => m.id === partId);
    const strategyIndex = Number(card.dataset.strategyIndex);
    const result = run?.result?.results[strategyIndex];
    const sample = Number(line.dataset.sample ?? result?.bestIndex ?? 0);
    const completion = result?.completions[sample] ?? result?.best;
    if (!run || !result || !completion) return false;
    const step = [...line.querySelectorAll('.tok')].indexOf(tokenEl);
    if (step < 0 || step >= completion.tokens.length) return false;
    // The capability the run's engine declared decides what the explorer can do, not which engine it was.
    const distribution = run.engine?.distribution ?? 'full';
    this.target = { run, strategyIndex, generated: completion.tokens.map((t) => t.token), step, sample: result.completions[sample] ? sample : result.bestIndex, ...(distribution === 'full' ? {} : { approximateFrom: completion.tokens[step]! }) };
    this.element.dataset.approximate = String(distribution !== 'full');
    const { settings } = explorerSettingsOf(result.strategy.sampler);
    this.settings = { ...settings };
    this.writeControls();
    this.title.textContent = `Step ${step} of ${result.strategy.name}: ${JSON.stringify(completion.tokens[step]!.text)}`;
    this.element.dataset.step = String(step);
    this.element.dataset.runId = run.id;
    this.element.dataset.strategyIndex = String(strategyIndex);
    this.element.dataset.generated = this.target.generated.join(',');
    this.element.hidden = false;
    this.error.textContent = '';
    this.opener = tokenEl;
    this.request();
    this.element.scrollIntoView({ block: 'start' });
    this.title.focus({ preventScroll: true });
    return true;
  }

  /** Closes the explorer and puts focus back on the token that opened it (when it is still shown). */
  close(): void {
    this.element.hidden = true;
    const opener = this.opener;
    this.opener = undefined;
    if (opener?.isConnected) {
      // The token becomes its completion's tab stop, so Tab order resumes from it.
      opener.parentElement?.querySelectorAll<HTMLElement>('.tok').forEach((t) => (t.tabIndex = t === opener ? 0 : -1));
      opener.focus();
      opener.scrollIntoView({ block: 'nearest' });
    }
  }

  /** Is the stage on in these settings (an enabling parameter set, and not to its "off" value)? */
  private isOn(stage: StageDefinition, settings: ExplorerSettings): boolean {
    return stage.params.some((p) => p.enables && settings[p.setting] !== undefined && settings[p.setting] !== OFF_VALUE[p.setting]);
  }

  private writeControls(): void {
    const s = this.settings;
    for (const [setting, c] of this.controls) {
      const value = s[setting];
      const off = OFF_VALUE[setting];
      c.input.value = String(typeof value === 'number' ? value : (off ?? c.param.default));
    }
    for (const [setting, c] of this.textControls) {
      c.input.value = textControlText(c.param, s[setting]);
      this.showTextError(c, undefined);
    }
    this.invalid = false;
    this.branchButton.disabled = !this.canBranch();
    this.setBranchPending(false);
    for (const [type, on] of this.switches) on.checked = this.isOn(STAGES.find((d) => d.type === type)!, s);
    const listed = (s.order ?? []).filter((t) => this.onTypes().includes(t));
    this.orderTypes = [...listed, ...this.onTypes().filter((t) => !listed.includes(t))];
    this.showOutputs();
  }

  /** The stages the controls turn on, in the registry's default order. */
  private onTypes(): StageType[] {
    return STAGES.filter((stage) => {
      const on = this.switches.get(stage.type);
      if (on) return on.checked;
      if (stage.type === 'temperature') return true;
      const c = this.controls.get(stage.params[0]!.setting);
      return c !== undefined && Number(c.input.value) !== OFF_VALUE[c.param.setting];
    }).map((stage) => stage.type);
  }

  private showOutputs(): void {
    for (const c of this.controls.values()) {
      c.output.textContent = c.input.value;
      const on = this.switches.get(c.stage.type);
      c.input.disabled = on !== undefined && !on.checked;
    }
    for (const c of this.textControls.values()) c.input.disabled = !this.switches.get(c.stage.type)?.checked;
    this.drawOrder();
  }

  /** The order list: each stage that is on, with buttons to move it up or down. */
  private drawOrder(): void {
    this.order.replaceChildren(
      ...this.orderTypes.map((type, i) => {
        const li = document.createElement('li');
        li.dataset.stage = type;
        const name = document.createElement('span');
        name.textContent = type;
        li.append(name);
        for (const [label, delta] of [['↑', -1], ['↓', 1]] as const) {
          const b = document.createElement('button');
          b.textContent = label;
          b.setAttribute('aria-label', `Move ${type} ${delta < 0 ? 'earlier' : 'later'}`);
          b.disabled = i + delta < 0 || i + delta >= this.orderTypes.length;
          b.addEventListener('click', () => {
            const next = [...this.orderTypes];
            [next[i], next[i + delta]] = [next[i + delta]!, next[i]!];
            this.orderTypes = next;
            this.readControls();
          });
          li.append(b);
        }
        return li;
      }),
    );
  }

  /** Shows (or clears) a text field's error, and marks the field invalid for assistive technology. */
  private showTextError(c: TextControl, error: string | undefined): void {
    c.error.textContent = error ?? '';
    if (error) c.input.setAttribute('aria-invalid', 'true');
    else c.input.removeAttribute('aria-invalid');
  }

  private readControls(): void {
    // The text fields first: a line that is not a value stops here, so nothing runs with it.
    const texts = new Map<string, unknown>();
    let invalid = false;
    for (const [setting, c] of this.textControls) {
      if (!this.switches.get(c.stage.type)?.checked) {
        this.showTextError(c, undefined);
        continue;
      }
      const read = readTextControl(c.stage, c.param, c.input.value);
      this.showTextError(c, 'error' in read ? read.error : undefined);
      if ('error' in read) invalid = true;
      else texts.set(setting, read.value);
    }
    this.invalid = invalid;
    this.branchButton.disabled = invalid || !this.canBranch();
    if (invalid) {
      this.element.dataset.invalid = 'true';
      return;
    }
    delete this.element.dataset.invalid;
    // Settings without a control (min_keep) carry over from the card.
    const settings: ExplorerSettings = { temperature: 1 };
    for (const [key, value] of Object.entries(this.settings)) {
      if (!this.controls.has(key) && !this.textControls.has(key) && key !== 'order') settings[key] = value;
    }
    for (const [setting, value] of texts) if (value !== undefined) settings[setting] = value;
    // A stage switched off loses every parameter.
    for (const [type, on] of this.switches) {
      if (!on.checked) for (const p of STAGES.find((d) => d.type === type)!.params) delete settings[p.setting];
    }
    for (const [setting, c] of this.controls) {
      const on = this.switches.get(c.stage.type);
      if (on && !on.checked) continue;
      const value = c.param.integer || setting === 'topK' ? Math.floor(Number(c.input.value)) : Number(c.input.value);
      settings[setting] = value === OFF_VALUE[setting] ? undefined : value;
    }
    const onTypes = this.onTypes();
    this.orderTypes = [...this.orderTypes.filter((t) => onTypes.includes(t)), ...onTypes.filter((t) => !this.orderTypes.includes(t))];
    settings.order = [...this.orderTypes];
    this.settings = settings;
    this.showOutputs();
    this.request();
  }

  private base() {
    const t = this.target!;
    const { chat, system } = t.run.options;
    return {
      prompt: t.run.prompt,
      maxNewTokens: t.run.options.maxNewTokens,
      generated: t.generated,
      step: t.step,
      settings: this.settings,
      ...(chat !== undefined ? { chat } : {}),
      ...(system !== undefined ? { system } : {}),
      // The worker refuses a card of a model it does not hold, rather than explore it with another.
      model: t.run.model,
      ...(t.run.dtype ? { dtype: t.run.dtype } : {}),
    };
  }

  /** Branching decodes on with the model, or, on a run a server sampled, by the server continuing the text where it can. */
  private canBranch(): boolean {
    const run = this.target?.run;
    const refused = run && this.target?.approximateFrom !== undefined ? (this.remote ? remoteBranchRefusal(run) : 'No branching on a server run in this view.') : undefined;
    this.branchButton.title = refused ?? '';
    this.branchNote.textContent = refused ?? '';
    this.branchNote.hidden = refused === undefined;
    return refused === undefined;
  }

  private request(): void {
    if (!this.target) return;
    const requestId = `explorer-${this.nextId++}`;
    this.latestStep = requestId;
    this.element.dataset.pending = 'true';
    const from = this.target.approximateFrom;
    if (!from) return this.ask({ type: 'explorerStep', requestId, ...this.base() });
    try {
      this.handle(approximateStep(requestId, from, this.settings));
    } catch (e) {
      this.handle({ type: 'explorerFailed', requestId, error: e instanceof Error ? e.message : String(e) });
    }
  }

  /**
   * Asks the worker, or the host for a card whose model runs there; the reply, or the failure (the
   * error, a malformed reply, a crash), is handled alike.
   */
  private ask(request: ExplorerRequest): void {
    const run = this.target?.run;
    const requestOf = run?.engine?.explorer === 'host' && this.hostRequestOf ? this.hostRequestOf(run.id) : this.requestOf;
    requestOf(request).then(
      (reply) => this.handle(reply),
      (e: unknown) => this.handle({ type: 'explorerFailed', requestId: request.requestId, error: e instanceof Error ? e.message : String(e) }),
    );
  }

  private branch(): void {
    if (!this.target || this.invalid || this.branchPending || !this.canBranch()) return;
    const altToken = Number(this.altSelect.value);
    if (this.target.approximateFrom) return this.continueOnServer(altToken);
    this.setBranchPending(true);
    this.ask({ type: 'explorerBranch', requestId: `explorer-${this.nextId++}`, altToken, seed: this.target.run.options.seed, ...this.base() });
  }

  /** The server continues the run's text up to the picked token (the host asks it); the card streams in here. */
  private continueOnServer(altIndex: number): void {
    const t = this.target!;
    const tokenText = this.last?.bars.find((b) => b.token === altIndex)?.text;
    if (tokenText === undefined || !this.remote) {
      this.error.textContent = 'Branch: pick a token of this step in the chart or the list first.';
      return;
    }
    this.setBranchPending(true);
    const strategy = t.run.strategies[t.strategyIndex]?.strategy.name ?? 'strategy';
    this.remote.start({ runId: t.run.id, strategyIndex: t.strategyIndex, sample: t.sample, step: t.step, tokenText }, strategy, this.branches, () => {
      this.setBranchPending(false);
      this.branchButton.disabled = this.invalid || !this.canBranch();
    });
  }

  /** The host's progress on a branch by continuation. */
  onBranchProgress(message: BranchProgress): void {
    this.remote?.onProgress(message);
  }

  private handle(reply: ExplorerReply): void {
    switch (reply.type) {
      case 'explorerFailed':
        this.error.textContent = reply.error;
        this.setBranchPending(false);
        this.branchButton.disabled = this.invalid || !this.canBranch();
        if (reply.requestId === this.latestStep) {
          delete this.element.dataset.pending;
          // The step asked for has no view: what is drawn belongs to another step or card.
          this.last = undefined;
          delete this.element.dataset.ready;
          this.summary.replaceChildren();
          this.chart.replaceChildren();
          this.sweep.replaceChildren();
          this.branchButton.disabled = true;
        }
        return;
      case 'explorerStepDone':
        if (reply.requestId !== this.latestStep) return;
        this.error.textContent = '';
        this.last = reply;
        this.drawSummary(reply);
        this.drawChart(reply);
        this.drawSweep(reply);
        this.fillAlternatives(reply);
        if (!this.branchPending) this.branchButton.disabled = this.invalid || !this.canBranch();
        delete this.element.dataset.pending;
        this.element.dataset.ready = reply.requestId;
        this.element.dataset.promptIds = reply.promptIds.join(',');
        return;
      case 'explorerBranchDone':
        this.setBranchPending(false);
        this.branchButton.disabled = this.invalid || !this.canBranch();
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
    const approx = r.approximate;
    this.summary.replaceChildren(
      ...(approx
        ? [
            span(
              `Approximate: the server returned its top ${approx.known} tokens (${percent(approx.knownMass)} of the probability); the other ${percent(Math.max(0, 1 - approx.knownMass))} is unknown. The controls renormalise the known part.`,
              { class: 'ex-approximate', 'data-approximate': 'true', 'data-known-mass': String(approx.knownMass), role: 'note' },
            ),
            ...(approx.unreplayed?.length
              ? [
                  span(
                    `Not applied here: ${approx.unreplayed.join(', ')}. They count the tokens before this step, and the server's top tokens cannot be replayed through them (the server applied its own, if it was asked to).`,
                    { class: 'ex-approximate ex-unreplayed', 'data-unreplayed': approx.unreplayed.join(','), role: 'note' },
                  ),
                ]
              : []),
          ]
        : []),
      span(`Entropy ${r.entropyBits.toFixed(3)} bits${approx ? ' (of the known part)' : ''}`, { 'data-entropy-bits': String(r.entropyBits) }),
      span(approx ? `Unknown tail ${r.tailMass.toPrecision(3)}` : `Tail mass (not shown) ${r.tailMass.toPrecision(3)}`, { 'data-tail-mass': String(r.tailMass) }),
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
    // On a server's run, one more row: the probability outside its top K, which nobody knows how it splits.
    const tailRow = r.approximate ? 1 : 0;
    const H = (r.bars.length + tailRow) * rowH + 4;
    const scale = (p: number) => {
      if (!log) return (p / Math.max(r.bars[0]!.prob, ...r.bars.map((b) => b.finalProb), 1e-12)) * barW;
      if (p <= 0) return 0;
      const floor = -8;
      return Math.max(0, (Math.log10(p) - floor) / -floor) * barW;
    };
    const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'bars', role: 'group', 'aria-label': `Top ${r.bars.length} tokens at this step${log ? ', log scale' : ''}` });
    const bars: SVGGElement[] = [];
    r.bars.forEach((b, i) => {
      const y = i * rowH + 2;
      const g = svg('g', { class: `bar${b.chosen ? ' chosen' : ''}${b.cutBy ? ' cut' : ''}`, role: 'img', 'data-token': b.token });
      const stageMarks = b.survives.map((s) => (s ? '✓' : '✗')).join('');
      const split = splitCharacterNote(b.text);
      const aria = `${JSON.stringify(b.text)}${split ? ` (${split})` : ''}${b.chosen ? ' (chosen)' : ''}: raw probability ${percent(b.prob)}, ${b.cutBy ? `cut by ${b.cutBy}` : `sampling probability ${percent(b.finalProb)}`}`;
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
      bars.push(g);
    });
    if (r.approximate) {
      const y = r.bars.length * rowH + 2;
      const g = svg('g', { class: 'bar unknown-tail', role: 'img', 'data-unknown-tail': String(r.tailMass) });
      const aria = `Unknown: ${percent(r.tailMass)} of the probability is on tokens outside the server's top ${r.approximate.known}`;
      g.setAttribute('aria-label', aria);
      const label = svg('text', { x: labelW - 4, y: y + rowH - 4, 'text-anchor': 'end' });
      label.textContent = '? unknown tail';
      g.append(label, svg('rect', { class: 'raw', x: labelW, y: y + 1, width: Math.max(1, scale(r.tailMass)), height: rowH - 3, 'stroke-dasharray': '3 2', fill: 'none', stroke: 'currentColor' }));
      const value = svg('text', { x: labelW + barW + 6, y: y + rowH - 4 });
      value.textContent = `${percent(r.tailMass)} → unknown`;
      const title = svg('title');
      title.textContent = aria;
      g.append(value, title);
      root.append(g);
    }
    // One tab stop for the bars, on the chosen token's bar; arrows move between them.
    rovingFocus(root, bars, Math.max(0, r.bars.findIndex((b) => b.chosen)));
    const legend = document.createElement('p');
    legend.className = 'ex-legend';
    const order = r.stages.slice(1).map((s) => s.name).join(', ');
    legend.textContent = `${r.approximate ? 'Approximate (top log-probs from the server): ' : ''}Faint bar: raw probability; solid bar: the probability sampling uses under these settings; ▶ the chosen token. ✓/✗: kept or cut by each stage in chain order${order ? ` (${order})` : ''}.${log ? ' Log scale from 1e-8.' : ''}`;
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

  private setBranchPending(pending: boolean): void {
    this.branchPending = pending;
    this.branchButton.setAttribute('aria-busy', String(pending));
    this.branchButton.textContent = pending ? 'Branching…' : 'Branch from here';
  }

  private addBranch(r: ExplorerBranchReply): void {
    const t = this.target!;
    const strategy = t.run.strategies[t.strategyIndex]?.strategy.name ?? 'strategy';
    const record: BranchRecord = { strategyIndex: t.strategyIndex, step: r.step, tokenText: r.tokenText, text: r.text, firstText: r.tokens[0]?.text ?? '' };
    const card = branchCard(t.run.id, strategy, record);
    this.branches.prepend(card);
    // Focus goes to what Branch made (when it was still on the button), so it is read out and in view.
    const label = card.querySelector<HTMLElement>('.branch-label')!;
    label.tabIndex = -1;
    if (document.activeElement === this.branchButton || document.activeElement === document.body) label.focus();
    // The run keeps it (host history), so it is still there after a reload.
    this.onBranch(t.run.id, record);
  }

}
