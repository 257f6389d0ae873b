/**
 * The card's Insert action: the completion goes right after the text the prompt came from,
 * or at the cursor when the run had no editor (or the document is gone).
 */
import * as vscode from 'vscode';
import type { RunRecord } from '../protocol/messages';

/** Returns the document and the offset the text now starts at (where risk marks go). */
export async function insertCompletion(insertAt: RunRecord['insertAt'], text: string): Promise<{ document: vscode.TextDocument; startOffset: number }> {
  let editor: vscode.TextEditor | undefined;
  let position: vscode.Position | undefined;
  if (insertAt) {
    try {
      const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(insertAt.uri));
      editor = await vscode.window.showTextDocument(document, { preserveFocus: false });
      position = document.validatePosition(new vscode.Position(insertAt.line, insertAt.character));
    } catch {
      editor = undefined; // deleted or unreadable: fall back to the active editor
    }
  }
  editor ??= vscode.window.activeTextEditor;
  if (!editor) throw new Error('There is no editor to insert into. Open a file and use Insert again.');
  position ??= editor.selection.end;
  const at = position;
  const ok = await editor.edit((edit) => edit.insert(at, text));
  if (!ok) throw new Error('The editor refused the edit (read-only?).');
  const end = editor.document.positionAt(editor.document.offsetAt(at) + text.length);
  editor.selection = new vscode.Selection(at, end);
  editor.revealRange(new vscode.Range(at, end));
  return { document: editor.document, startOffset: editor.document.offsetAt(at) };
}
