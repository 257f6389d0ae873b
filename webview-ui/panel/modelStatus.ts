/**
 * The panel's status line (model and backend in use) and the model-load progress: which file, how far.
 */
import type { Backend, LoadProgressEvent } from '../../src/protocol/messages';
import { byteSize, loadStepText } from '../../src/core/model/loadProgress';

export class ModelStatus {
  private readonly files = new Map<string, { loaded: number; total: number }>();
  private name = '';

  constructor(
    private readonly line: HTMLElement,
    private readonly progress: HTMLElement,
    private readonly bar: HTMLProgressElement,
    private readonly label: HTMLElement,
  ) {}

  showModel(model: { name: string; backend: Backend; fallbackReason?: string } | undefined): void {
    this.line.dataset.backend = model?.backend ?? '';
    this.line.textContent = model ? `${model.name} · ${model.backend.toUpperCase()}` : 'No model loaded';
    this.line.title = model?.fallbackReason ? `WASM because ${model.fallbackReason}` : '';
  }

  startLoad(name: string): void {
    this.files.clear();
    this.name = name;
    this.progress.hidden = false;
    this.bar.removeAttribute('value');
    this.label.textContent = `Loading ${name}…`;
  }

  /** The label names the file and how far it is; the bar (and its title) counts the bytes of every file so far. */
  loadProgress(p: LoadProgressEvent): void {
    const step = loadStepText(p);
    if (step === undefined) return;
    this.label.textContent = `Loading ${this.name} · ${step}`;
    if (p.status === 'ready' || p.status === 'warmup') {
      this.bar.removeAttribute('value');
      this.bar.title = '';
      return;
    }
    if (p.file && p.total > 0) this.files.set(p.file, { loaded: p.loaded, total: p.total });
    const all = [...this.files.values()];
    const total = all.reduce((s, f) => s + f.total, 0);
    const loaded = all.reduce((s, f) => s + Math.min(f.loaded, f.total), 0);
    if (total > 0) {
      this.bar.max = total;
      this.bar.value = loaded;
      this.bar.title = `${byteSize(loaded)} of ${byteSize(total)} in ${all.length} file${all.length === 1 ? '' : 's'} so far`;
    }
  }

  endLoad(): void {
    this.progress.hidden = true;
  }
}
