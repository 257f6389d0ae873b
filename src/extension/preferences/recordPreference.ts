/**
 * The Compare panel's Better / Worse marks become a preference record: the two cards' shown
 * completions, their strategies with settings, seeds and scores, from the host's own history (the
 * panel names the run and two card indices, nothing more), appended atomically to
 * `.sampling-lab/preferences.jsonl` in the workspace the run's prompt came from.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { makePreferenceRecord, type PreferenceRecord } from '../../core/preferences';
import { appendPreference, preferencesPath } from '../../node/preferencesFile';
import type { PreferAction, RunRecord } from '../../protocol/messages';
import { untrustedReason, workspaceTrusted } from '../workspaceTrust';

export class PreferenceInputError extends Error {
  override readonly name = 'PreferenceInputError';
}

export interface RecordedPreference {
  record: PreferenceRecord;
  /** Absolute path of the preferences file. */
  file: string;
  /** The path as shown to the user: relative to its workspace folder. */
  shownAs: string;
}

/** Builds and appends the record for `action`; throws PreferenceInputError with the fix when it cannot. */
export function recordPreference(action: PreferAction, run: RunRecord | undefined): RecordedPreference {
  if (!run) throw new PreferenceInputError('that run is no longer in history (it keeps the newest 50 runs). Run the comparison again to mark its cards.');
  if (run.kind === 'risk' || run.kind === 'json') throw new PreferenceInputError('only the cards of a comparison can be marked better or worse.');
  if (run.status !== 'done' || !run.result) throw new PreferenceInputError('the run has not finished. Mark its cards once every card has its completion.');
  const count = run.result.results.length;
  for (const [side, index] of [['chosen', action.chosen], ['rejected', action.rejected]] as const) {
    if (index < 0 || index >= count) throw new PreferenceInputError(`the ${side} card ${index} does not exist (the run has ${count} cards).`);
  }
  if (action.chosen === action.rejected) throw new PreferenceInputError('a card cannot be preferred to itself: mark two different cards.');
  if (!workspaceTrusted()) throw new PreferenceInputError(untrustedReason('records preference pairs in .sampling-lab/preferences.jsonl'));
  const folder = workspaceFolderOf(run);
  if (!folder) throw new PreferenceInputError('open a folder first: preference pairs are kept in .sampling-lab/preferences.jsonl in the workspace.');

  const side = (i: number) => ({ strategy: run.strategies[i]!.strategy, completion: run.result!.results[i]!.best });
  const record = makePreferenceRecord({ prompt: run.prompt, model: run.model, chosen: side(action.chosen), rejected: side(action.rejected) });
  const file = preferencesPath(folder.uri.fsPath);
  appendPreference(file, record);
  return { record, file, shownAs: path.relative(folder.uri.fsPath, file).split(path.sep).join('/') };
}

/** The folder holding the document the prompt came from; else the first one. */
export function workspaceFolderOf(run: Pick<RunRecord, 'insertAt'>): vscode.WorkspaceFolder | undefined {
  if (run.insertAt) {
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.parse(run.insertAt.uri));
    if (folder && folder.uri.scheme === 'file') return folder;
  }
  return vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
}
