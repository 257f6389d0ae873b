/**
 * The run history's commands: Export Run… and Export All Runs… (Markdown with a table per run, or
 * the CLI's `compare --json` shape) into a new editor, ready to save; Delete Run… and Clear Run
 * History; and keeping the panel's list in step with them and with `samplingLab.history.maxRuns`.
 */
import * as vscode from 'vscode';
import { runsJson, runsMarkdown, runsWithCards } from '../../core/export/runExport';
import type { RunRecord } from '../../protocol/messages';
import type { RunHistory } from '../history';
import type { PanelProvider } from '../panelProvider';

export type ExportFormat = 'markdown' | 'json';

export interface ExportArgs {
  /** The run to export (Export Run…); asked for when absent. */
  runId?: string;
  /** Asked for when absent. */
  format?: ExportFormat;
}

export interface ExportedRuns {
  format: ExportFormat;
  /** How many runs went into the export. */
  runs: number;
  /** The new (untitled) document holding it. */
  uri: string;
  text: string;
}

/** Runs an export can describe: comparisons and risk checks (a JSON run's routes have their own view). */
const exportable = (r: RunRecord) => r.kind !== 'json';

function describe(run: RunRecord): vscode.QuickPickItem & { id: string } {
  const firstLine = run.prompt.split('\n').find((l) => l.trim()) ?? run.prompt;
  return { id: run.id, label: firstLine.slice(0, 80), description: `${new Date(run.startedAt).toLocaleString()} · ${run.model} · ${run.status}` };
}

async function pickRun(history: RunHistory, title: string, filter: (r: RunRecord) => boolean = () => true): Promise<RunRecord | undefined> {
  const runs = history.all().filter(filter);
  if (runs.length === 0) throw new Error('Sampling Lab: there are no runs in this workspace yet. Run Compare Strategies on Selection first.');
  const picked = await vscode.window.showQuickPick(runs.map(describe), { title, placeHolder: 'The run, newest first' });
  return picked && history.get(picked.id);
}

async function pickFormat(): Promise<ExportFormat | undefined> {
  const picked = await vscode.window.showQuickPick(
    [
      { label: 'Markdown', detail: 'A table per run: settings (the sampler chain), completion, scores, per-token log-probs', format: 'markdown' as const },
      { label: 'JSON', detail: 'What `sampling-lab compare --json` prints: every token with its log-probs and top alternatives', format: 'json' as const },
    ],
    { title: 'Sampling Lab: export as' },
  );
  return picked?.format;
}

async function openExport(runs: RunRecord[], format: ExportFormat, single: boolean): Promise<ExportedRuns> {
  const text = format === 'json' ? runsJson(runs, single) : runsMarkdown(runs);
  const document = await vscode.workspace.openTextDocument({ language: format, content: text });
  await vscode.window.showTextDocument(document, { preview: false });
  return { format, runs: format === 'json' ? runs.filter((r) => runsWithCards(r).some((p) => p.result)).length : runs.length, uri: document.uri.toString(), text };
}

export async function exportRun(history: RunHistory, args: ExportArgs = {}): Promise<ExportedRuns | undefined> {
  const run = args.runId ? history.get(args.runId) : await pickRun(history, 'Sampling Lab: export which run?', exportable);
  if (!run) {
    if (args.runId) throw new Error(`Sampling Lab: run ${args.runId} is no longer in the history (deleted, or dropped past samplingLab.history.maxRuns).`);
    return undefined;
  }
  if (!exportable(run)) throw new Error('Sampling Lab: a Generate JSON run is not exported; its routes are shown in the panel.');
  const format = args.format ?? (await pickFormat());
  if (!format) return undefined;
  if (format === 'json' && !runsWithCards(run).some((p) => p.result)) throw new Error(`Sampling Lab: this run has no result to export as JSON (${run.status}${run.error ? `: ${run.error}` : ''}). Export it as Markdown, or run it again.`);
  return openExport([run], format, true);
}

export async function exportHistory(history: RunHistory, args: Omit<ExportArgs, 'runId'> = {}): Promise<ExportedRuns | undefined> {
  const runs = history.all().filter(exportable);
  if (runs.length === 0) throw new Error('Sampling Lab: there are no runs to export. Run Compare Strategies on Selection first.');
  const format = args.format ?? (await pickFormat());
  if (!format) return undefined;
  return openExport(runs, format, false);
}

/** Shows the history as it is now in the panel, when the panel is open. */
export async function showHistory(panel: PanelProvider, history: RunHistory): Promise<void> {
  if (panel.webview) await panel.post(history.update()).catch(() => undefined);
}

export async function deleteRun(history: RunHistory, panel: PanelProvider, args: { runId?: string } = {}): Promise<boolean> {
  const run = args.runId ? history.get(args.runId) : await pickRun(history, 'Sampling Lab: delete which run?');
  if (!run) return false;
  if (run.status === 'running') throw new Error('Sampling Lab: this run is still running. Stop it first (Sampling Lab: Stop), then delete it.');
  const removed = await history.removeWhere((r) => r.id === run.id);
  await showHistory(panel, history);
  return removed > 0;
}

export async function clearHistory(history: RunHistory, panel: PanelProvider, args: { confirmed?: boolean } = {}): Promise<number> {
  const runs = history.all().filter((r) => r.status !== 'running');
  if (runs.length === 0) {
    void vscode.window.setStatusBarMessage('Sampling Lab: the run history is already empty.', 3000);
    return 0;
  }
  if (!args.confirmed) {
    const clear = 'Clear';
    const answer = await vscode.window.showWarningMessage(`Delete all ${runs.length} runs of this workspace from Sampling Lab's history?`, { modal: true, detail: 'Export them first (Export All Runs…) to keep a copy.' }, clear);
    if (answer !== clear) return 0;
  }
  // A run in progress stays: it is still writing its record.
  const removed = await history.removeWhere((r) => r.status !== 'running');
  await showHistory(panel, history);
  return removed;
}
