/**
 * The host side of the panel's strategy editor: what `samplingLab.strategies` holds now and where
 * it comes from, and writing an edited list back, checked first by the same parser a run uses.
 * Nothing is written over a list that changed since the edits began, or with a problem in it.
 */
import * as vscode from 'vscode';
import { checkStrategies, type StrategyEntry } from '../core/decode/strategyEdits';
import type { SaveStrategiesAction, SettingsTarget, StrategySettingsUpdate } from '../protocol/messages';
import { SECTION, updateSetting } from './settings';

const KEY = 'strategies';
const SETTING = `${SECTION}.${KEY}`;

interface Inspected {
  strategies: StrategyEntry[];
  source: StrategySettingsUpdate['source'];
}

function inspectStrategies(): Inspected {
  const inspected = vscode.workspace.getConfiguration(SECTION).inspect<unknown>(KEY);
  // A multi-root folder's own value counts as the workspace's: it is what runs in that folder.
  const workspaceValue = inspected?.workspaceFolderValue ?? inspected?.workspaceValue;
  const value = workspaceValue ?? inspected?.globalValue ?? inspected?.defaultValue;
  const source = workspaceValue !== undefined ? 'workspace' : inspected?.globalValue !== undefined ? 'user' : 'default';
  // A hand-edited settings.json may hold anything: the editor shows only the entries that are objects.
  const strategies = Array.isArray(value) ? value.filter((e): e is StrategyEntry => typeof e === 'object' && e !== null && !Array.isArray(e)) : [];
  return { strategies, source };
}

/** The update the panel's editor shows now. */
export function strategySettingsUpdate(reply: Pick<StrategySettingsUpdate, 'saved' | 'error' | 'warning'> = {}): StrategySettingsUpdate {
  return { type: 'strategySettings', ...inspectStrategies(), workspace: (vscode.workspace.workspaceFolders?.length ?? 0) > 0, ...reply };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Writes the edited list when it is sound and the setting is as the edits found it; the reply says what happened. */
export async function saveStrategies(action: SaveStrategiesAction, log: vscode.LogOutputChannel): Promise<StrategySettingsUpdate> {
  const problems = checkStrategies(action.strategies, SETTING);
  if (problems.length > 0) {
    return strategySettingsUpdate({ saved: false, error: `Not saved: ${problems.map((p) => p.message).join(' ')}` });
  }
  const current = inspectStrategies();
  if (!same(current.strategies, action.base)) {
    return strategySettingsUpdate({
      saved: false,
      error: `Not saved: ${SETTING} changed since you began editing (in settings.json or another window). Your edits are still in the form: Save again to replace the new list with them, or Load to take the new list.`,
    });
  }
  if (action.target === 'workspace' && !vscode.workspace.workspaceFolders?.length) {
    return strategySettingsUpdate({ saved: false, error: 'Not saved: no folder is open, so there are no workspace settings. Save to User settings, or open a folder.' });
  }
  const target = action.target === 'workspace' ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await updateSetting(KEY, action.strategies, target);
  log.info(`Saved ${action.strategies.length} strategies to ${SETTING} in ${targetName(action.target)} settings.`);
  const after = inspectStrategies();
  const warning =
    action.target === 'user' && after.source === 'workspace'
      ? `Saved to User settings, but this workspace sets ${SETTING} itself, and its list wins here. Save to Workspace to change what runs in this folder.`
      : undefined;
  return strategySettingsUpdate({ saved: true, ...(warning ? { warning } : {}) });
}

function targetName(target: SettingsTarget): string {
  return target === 'workspace' ? 'Workspace' : 'User';
}
