/**
 * The panel's status line (model and backend in use) and the model-load progress bar.
 */
import type { Backend, LoadProgressEvent } from '../../src/protocol/messages';
import { bytes } from './format';

export class ModelStatus {
  private readonly files = new Map<string, { loaded: number; total: number }>();

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
    this.progress.hidden = false;
    this.bar.removeAttribute('value');
    this.label.textContent = `Loading ${name}…`;
  }

  loadProgress(p: LoadProgressEvent): void {
    if (p.status === 'ready' || p.status === 'warmup') {
      this.bar.removeAttribute('value');
      this.label.textContent = p.status === 'warmup' ? 'Compiling the model for this backend…' : 'Starting the model…';
      return;
    }
    if (p.file && p.total > 0) this.files.set(p.file, { loaded: p.loaded, total: p.total });
    const all = [...this.files.values()];
    const total = all.reduce((s, f) => s + f.total, 0);
    const loaded = all.reduce((s, f) => s + Math.min(f.loaded, f.total), 0);
    if (total > 0) {
      this.bar.max = total;
      this.bar.value = loaded;
      this.label.textContent = `Loading ${p.file || 'model'}: ${bytes(loaded)} of ${bytes(total)}`;
    }
  }

  endLoad(): void {
    this.progress.hidden = true;
  }
}
