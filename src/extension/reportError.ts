/**
 * Shows an error the user can act on, with the button that helps (open the setting, pick a
 * model, read the log), and logs it. Returns the message shown.
 */
import * as vscode from 'vscode';

export function reportError(e: unknown, log: vscode.LogOutputChannel): string | undefined {
  if (e instanceof vscode.CancellationError) return undefined;
  const err = e instanceof Error ? e : new Error(String(e));
  log.error(`${err.name}: ${err.message}`);
  if (err.stack) log.debug(err.stack);
  const setting = (err as { setting?: string }).setting;
  const message = `Sampling Lab: ${err.message}`;
  if (err.name === 'SettingsError' && setting) {
    // "samplingLab.strategies[2].topP" → the settings editor filtered to samplingLab.strategies.
    const id = setting.replace(/\[.*$/, '');
    void vscode.window.showErrorMessage(message, 'Open Settings').then((a) => {
      if (a) void vscode.commands.executeCommand('workbench.action.openSettings', id);
    });
  } else if (err.name === 'ModelLoadError') {
    void vscode.window.showErrorMessage(message, 'Select Model…', 'Show Log').then((a) => {
      if (a === 'Select Model…') void vscode.commands.executeCommand('samplingLab.selectModel');
      if (a === 'Show Log') log.show();
    });
  } else {
    void vscode.window.showErrorMessage(message, 'Show Log').then((a) => {
      if (a) log.show();
    });
  }
  return message;
}
