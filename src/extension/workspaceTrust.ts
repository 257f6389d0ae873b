/**
 * Workspace Trust, enforced in code: in Restricted Mode Sampling Lab parses, compiles, reads and
 * writes none of the repository's own files (prompt test suites and the files they name, schema
 * files, `.sampling-lab/`), and VS Code withholds the workspace's `samplingLab.model`
 * (package.json's restrictedConfigurations). What the user selects and runs still works. Every
 * feature that touches the workspace's files asks here, and comes alive on
 * `onDidGrantWorkspaceTrust` without a reload.
 */
import * as vscode from 'vscode';

/** VS Code's own "Manage Workspace Trust" (the editor with the Trust button). */
export const MANAGE_TRUST_COMMAND = 'workbench.trust.manage';

export class UntrustedWorkspaceError extends Error {
  override readonly name = 'UntrustedWorkspaceError';
}

export function workspaceTrusted(): boolean {
  return vscode.workspace.isTrusted;
}

/** Why `what` waits for trust, and how to give it: one wording for every place that says so. */
export function untrustedReason(what: string): string {
  return `This folder is open in Restricted Mode: Sampling Lab ${what} only once you trust the workspace (Manage Workspace Trust).`;
}

/** Throws an UntrustedWorkspaceError naming `what` and the fix, in Restricted Mode. */
export function requireTrust(what: string): void {
  if (!vscode.workspace.isTrusted) throw new UntrustedWorkspaceError(untrustedReason(what));
}

/** A Markdown link that opens Manage Workspace Trust, for messages VS Code renders (test item errors). */
export function manageTrustMarkdown(text: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(`${text} [Manage Workspace Trust](command:${MANAGE_TRUST_COMMAND})`);
  md.isTrusted = { enabledCommands: [MANAGE_TRUST_COMMAND] };
  return md;
}

/** Runs `listener` when the user trusts the workspace (never, if it already is). */
export function onDidGrantTrust(listener: () => void): vscode.Disposable {
  return vscode.workspace.onDidGrantWorkspaceTrust(listener);
}
