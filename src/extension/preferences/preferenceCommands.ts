/** The Preferences view's title actions: choose the scorer, export the pairs, open the file. */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { exportFormatOf, SCORERS, type ExportFormat, type ScorerName } from '../../core/preferences';
import { readPreferences, writePreferencesExport } from '../../node/preferencesFile';
import { SECTION } from '../settings';
import { requireTrust } from '../workspaceTrust';
import { scorerSetting, type PreferencesView } from './preferencesView';

export interface ExportArgs {
  /** Skips the save dialog (tests, other extensions). */
  target?: string;
  format?: ExportFormat;
}

export async function chooseScorer(args?: { scorer?: ScorerName }): Promise<ScorerName | undefined> {
  let scorer = args?.scorer;
  if (!scorer) {
    const current = scorerSetting();
    const picked = await vscode.window.showQuickPick(
      (Object.keys(SCORERS) as ScorerName[]).map((name) => ({ label: SCORERS[name].label, description: name === current ? 'current' : undefined, name })),
      { title: 'Score completions by', placeHolder: 'The Preferences view shows how well this score agrees with your choices' },
    );
    scorer = picked?.name;
  }
  if (!scorer) return undefined;
  if (!(scorer in SCORERS)) throw new Error(`Sampling Lab: unknown scorer "${scorer}"; use one of ${Object.keys(SCORERS).join(', ')}.`);
  const target = vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration(SECTION).update('preferences.scorer', scorer, target);
  return scorer;
}

/** Writes every readable record to a .jsonl or .csv file; returns the file, or undefined when cancelled. */
export async function exportPreferencesCommand(view: PreferencesView, args?: ExportArgs): Promise<vscode.Uri | undefined> {
  requireTrust('exports preference pairs');
  const source = view.file();
  if (!source || !fs.existsSync(source.fsPath)) {
    throw new Error('Sampling Lab: no preference pairs to export yet. Mark the better of two cards in the Strategies panel (Better, then Worse; or B, then W).');
  }
  const { records, skipped } = readPreferences(source.fsPath);
  if (records.length === 0) throw new Error(`Sampling Lab: ${vscode.workspace.asRelativePath(source)} holds no readable pairs to export.`);
  let format = args?.format;
  let target = args?.target ? vscode.Uri.file(args.target) : undefined;
  if (!target) {
    if (!format) {
      const picked = await vscode.window.showQuickPick(
        [
          { label: 'JSONL', description: 'prompt, chosen, rejected per line: what DPO and reward-model trainers read', format: 'jsonl' as const },
          { label: 'CSV', description: 'every column, for a spreadsheet or pandas', format: 'csv' as const },
        ],
        { title: `Export ${records.length} preference pairs as` },
      );
      format = picked?.format;
      if (!format) return undefined;
    }
    target = await vscode.window.showSaveDialog({
      title: 'Export preference pairs',
      defaultUri: vscode.Uri.joinPath(source, '..', `preferences.${format}`),
      filters: format === 'csv' ? { CSV: ['csv'] } : { JSONL: ['jsonl'] },
    });
    if (!target) return undefined;
  }
  format ??= exportFormatOf(target.fsPath);
  if (!format) throw new Error(`Sampling Lab: name the export file .jsonl or .csv (got ${target.fsPath}).`);
  writePreferencesExport(records, format, target.fsPath);
  const note = skipped.length > 0 ? ` (${skipped.length} unreadable lines left out)` : '';
  void vscode.window.showInformationMessage(`Sampling Lab: exported ${records.length} preference pairs to ${vscode.workspace.asRelativePath(target)}${note}.`);
  return target;
}
