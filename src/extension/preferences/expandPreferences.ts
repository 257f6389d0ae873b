/**
 * When the Preferences view opens itself: it starts collapsed (package.json's `visibility`), so the
 * Strategies panel has the side bar while there is nothing to show, and it expands once per
 * workspace when the first preference pair exists. After that, the user's own collapse stands.
 */
import * as vscode from 'vscode';
import type { PreferenceItem, PreferencesView } from './preferencesView';

/** Workspace state key: the view was expanded for this workspace's pairs once already. */
export const PREFERENCES_EXPANDED_KEY = 'samplingLab.preferencesExpanded';

export function expandPreferencesOnce(
  tree: vscode.TreeView<PreferenceItem>,
  preferences: PreferencesView,
  state: vscode.Memento,
  /** Only while the Strategies panel shows: expanding must not switch the side bar away from what the user has open. */
  panel: { readonly visible: boolean; readonly onDidChangeVisibility: vscode.Event<boolean> },
  log: vscode.LogOutputChannel,
): vscode.Disposable {
  let busy = false;
  const check = async () => {
    if (busy || state.get<boolean>(PREFERENCES_EXPANDED_KEY) || tree.visible || !panel.visible) return;
    // Read from the file, not the tree: a collapsed view never asks for its children.
    if (preferences.summary() === undefined) return;
    const first = preferences.getChildren()[0];
    if (!first) return;
    busy = true;
    try {
      // reveal opens (expands) the view without taking focus or selecting a row.
      await tree.reveal(first, { select: false, focus: false });
      await state.update(PREFERENCES_EXPANDED_KEY, true);
    } catch (e) {
      log.warn(`Could not expand the Preferences view: ${(e as Error).message}`);
    } finally {
      busy = false;
    }
  };
  // A pair recorded while the panel was hidden (through a command) expands the view when the panel shows.
  return vscode.Disposable.from(
    preferences.onDidChangeTreeData(() => void check()),
    panel.onDidChangeVisibility((visible) => visible && void check()),
  );
}
