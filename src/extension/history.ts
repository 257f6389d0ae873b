/**
 * The runs of this workspace, newest first, kept in workspace storage so they survive a window
 * reload (the panel also keeps a copy in its webview state, for an instant restore), at most
 * `samplingLab.history.maxRuns` of them; one can be deleted, or all cleared.
 */
import * as vscode from 'vscode';
import type { HistoryUpdate, RunRecord } from '../protocol/messages';
import { validateRunRecords } from '../protocol/validate';

const KEY = 'samplingLab.runs';
/** `samplingLab.history.maxRuns`'s default: enough to scroll back through a working session; older runs drop off the end. */
export const MAX_RUNS = 50;

/** `samplingLab.history.maxRuns`, or the default when it is not a whole number ≥ 1. */
export function maxRunsSetting(): number {
  const v = vscode.workspace.getConfiguration('samplingLab').get<unknown>('history.maxRuns', MAX_RUNS);
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : MAX_RUNS;
}

export class RunHistory {
  private runs: RunRecord[];

  constructor(
    private readonly storage: vscode.Memento,
    log: vscode.LogOutputChannel,
    /** How many runs to keep (read on each change, so a new setting applies at once). */
    private readonly limit: () => number = () => MAX_RUNS,
  ) {
    const stored = storage.get<unknown>(KEY, []);
    const checked = validateRunRecords(stored);
    if (!checked.ok) log.warn(`Ignoring unreadable run history (${checked.error}).`);
    // A run still "running" in storage was cut off by a reload: say so rather than spin forever.
    this.runs = (checked.ok ? checked.message : []).map(interrupted);
  }

  all(): RunRecord[] {
    return this.runs;
  }

  /** The history as the panel is told it, with the limit it keeps its own list to. */
  update(): HistoryUpdate {
    return { type: 'history', runs: this.runs, maxRuns: this.limit() };
  }

  get(id: string): RunRecord | undefined {
    return this.runs.find((r) => r.id === id);
  }

  /** The run in history that holds `id`'s cards: that run, or the side-by-side holding it as one model's record. */
  holderOf(id: string): RunRecord | undefined {
    return this.get(id) ?? this.runs.find((r) => r.models?.some((m) => m.id === id));
  }

  /** The run whose cards a card's action names: a run, or one model's run of a side-by-side. */
  cardsOf(id: string): RunRecord | undefined {
    const holder = this.holderOf(id);
    return holder?.id === id ? holder : holder?.models?.find((m) => m.id === id);
  }

  async upsert(run: RunRecord): Promise<void> {
    const compact = compactRun(run);
    const i = this.runs.findIndex((r) => r.id === run.id);
    if (i >= 0) this.runs[i] = compact;
    else this.runs = [compact, ...this.runs].slice(0, this.limit());
    await this.storage.update(KEY, this.runs);
  }

  /** Drops the runs past the limit (after the setting was lowered); true when some were dropped. */
  async trim(): Promise<boolean> {
    const limit = this.limit();
    if (this.runs.length <= limit) return false;
    this.runs = this.runs.slice(0, limit);
    await this.storage.update(KEY, this.runs);
    return true;
  }

  /** Deletes the runs `drop` picks; how many went. */
  async removeWhere(drop: (run: RunRecord) => boolean): Promise<number> {
    const kept = this.runs.filter((r) => !drop(r));
    const removed = this.runs.length - kept.length;
    if (removed === 0) return 0;
    this.runs = kept;
    await this.storage.update(KEY, this.runs);
    return removed;
  }

  async clear(): Promise<void> {
    this.runs = [];
    await this.storage.update(KEY, this.runs);
  }
}

/** A run stored while it ran, as a reload left it: stopped, saying so; in a side-by-side, each model that was running too. */
function interrupted(run: RunRecord): RunRecord {
  if (run.status !== 'running') return run;
  return { ...run, status: 'aborted', error: 'Interrupted: the window was reloaded during the run.', ...(run.models ? { models: run.models.map(interrupted) } : {}) };
}

/**
 * What history keeps of a run: everything shown on its cards. The tokens of candidates that
 * were not kept (best-of-N, extra samples) are dropped; their text and scores stay.
 */
export function compactRun(run: RunRecord): RunRecord {
  if (run.models) return { ...run, models: run.models.map(compactRun) };
  if (!run.result) return run;
  return {
    ...run,
    result: {
      ...run.result,
      results: run.result.results.map((r) => ({
        ...r,
        completions: r.completions.map((c, i) => (i === r.bestIndex ? c : { ...c, tokens: [] })),
      })),
    },
  };
}
