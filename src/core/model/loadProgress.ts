/**
 * How a model load reports where it is: which file and how far, in one wording for the panel's
 * bar, the load notification and the status bar, and which of transformers.js's many progress
 * callbacks are worth a message.
 */

/** One progress report of a load: transformers.js's progress_callback, as the worker posts it. */
export interface LoadStep {
  /** transformers.js's status: initiate, download, progress, done, ready; ours: warmup. */
  status: string;
  /** The file, relative to the model folder (`onnx/model.onnx`); '' when the step names none. */
  file: string;
  loaded: number;
  /** The file's size; 0 when unknown. */
  total: number;
}

/** "7.0 MB", "12 kB", "300 B". */
export function byteSize(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)} kB`;
  return `${n} B`;
}

/** What a load is doing, in words: "onnx/model.onnx: 3.1 MB of 7.0 MB (45%)", "compiling for the backend…"; undefined when the step says nothing new. */
export function loadStepText(step: LoadStep): string | undefined {
  if (step.status === 'warmup') return 'compiling the model for this backend…';
  if (step.status === 'ready') return 'starting the model…';
  if (!step.file) return undefined;
  if (step.total > 0) {
    const loaded = Math.min(step.loaded, step.total);
    return `${step.file}: ${byteSize(loaded)} of ${byteSize(step.total)} (${Math.floor((loaded / step.total) * 100)}%)`;
  }
  return `${step.file}…`;
}

/** The status bar's short form: "onnx/model.onnx 45%", "compiling…". */
export function loadStepShort(step: LoadStep): string {
  if (step.status === 'warmup') return 'compiling…';
  if (step.status === 'ready') return 'starting…';
  return step.total > 0 ? `${step.file} ${Math.floor((Math.min(step.loaded, step.total) / step.total) * 100)}%` : step.file;
}

/**
 * Which progress callbacks a worker posts: every step of a file's life (initiate, download, done),
 * a file's first and last chunk, and otherwise a chunk at most every `intervalMs` per load.
 * transformers.js's own running sum (progress_total, sent just before each chunk) is dropped:
 * it names no file, and posting it used up the interval, so the file's chunk never got through.
 */
export class LoadProgressFilter {
  private lastChunkAt = Number.NEGATIVE_INFINITY;
  private readonly started = new Set<string>();

  constructor(private readonly intervalMs = 50) {}

  /** Whether to post `step`, reported at `now` (ms). */
  accept(step: LoadStep, now: number): boolean {
    if (step.status === 'progress_total') return false;
    if (step.status !== 'progress') return true;
    const first = !this.started.has(step.file);
    const last = step.total > 0 && step.loaded >= step.total;
    if (!first && !last && now - this.lastChunkAt < this.intervalMs) return false;
    this.started.add(step.file);
    this.lastChunkAt = now;
    return true;
  }
}
