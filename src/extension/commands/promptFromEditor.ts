/**
 * The prompt of a selection-based command: the selected text, or (with no selection) the
 * current line offered in an input box. Inside a string literal of TS/JS or Python, the prompt is
 * the literal's value instead (core/promptSource), as the code means it. Insert later goes to the
 * end of that text. A blank prompt is refused here, before any model work.
 */
import * as vscode from 'vscode';
import { checkPromptText } from '../../core/decode/compare';
import { PromptError } from '../../core/model/errors';
import { literalLanguage, promptFromLiteral } from '../../core/promptSource/stringLiteral';
import type { RunRecord } from '../../protocol/messages';
import type { RunRequest } from '../runner';
import type { LabSettings } from '../settings';

export interface EditorPrompt {
  prompt: string;
  insertAt?: RunRecord['insertAt'];
  /** Set when the prompt is a string literal's value, not the text as written. */
  promptSource?: RunRecord['promptSource'];
}

/**
 * Where Insert goes after a selection: its end, or, when the selection took whole lines through
 * their line break, the end of its last line, so the completion joins that line and the line after
 * (often a blank one) stays as it was.
 */
function insertPoint(document: vscode.TextDocument, selection: vscode.Selection): vscode.Position {
  const end = selection.end;
  if (end.character !== 0 || end.line === selection.start.line) return end;
  return document.lineAt(end.line - 1).range.end;
}

/** The value of the string literal the selection (or cursor) is in, when the language is one core/promptSource reads. */
function literalPrompt(editor: vscode.TextEditor): EditorPrompt | undefined {
  const language = literalLanguage(editor.document.languageId);
  if (!language) return undefined;
  const { document, selection } = editor;
  const found = promptFromLiteral(document.getText(), language, document.offsetAt(selection.start), document.offsetAt(selection.end));
  if (!found) return undefined;
  // With a selection, Insert goes after it; with the cursor, after the literal's line (as for a plain line).
  const insert = selection.isEmpty ? document.lineAt(document.positionAt(found.end).line).range.end : insertPoint(document, selection);
  return { prompt: found.value, insertAt: at(document, insert), promptSource: 'string-literal' };
}

function at(document: vscode.TextDocument, position: vscode.Position): RunRecord['insertAt'] {
  return { uri: document.uri.toString(), line: position.line, character: position.character };
}

export async function promptFromEditor(given?: string): Promise<EditorPrompt | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (given !== undefined) {
    checkPromptText(given);
    return { prompt: given, insertAt: editor && at(editor.document, editor.selection.end) };
  }
  const literal = editor && literalPrompt(editor);
  if (literal) {
    checkPromptText(literal.prompt);
    return literal;
  }
  if (editor && !editor.selection.isEmpty) {
    const prompt = editor.document.getText(editor.selection);
    if (!prompt.trim()) throw new PromptError('The selection holds only whitespace. Select some text for the prompt and run again.');
    return { prompt, insertAt: at(editor.document, insertPoint(editor.document, editor.selection)) };
  }
  const line = editor?.document.lineAt(editor.selection.active.line);
  const prompt = await vscode.window.showInputBox({
    title: 'Sampling Lab: prompt',
    prompt: 'No text is selected. Edit the prompt (the current line) and press Enter.',
    value: line?.text ?? '',
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : 'The prompt is empty.'),
  });
  if (prompt === undefined) return undefined;
  return { prompt, insertAt: editor && line ? at(editor.document, line.range.end) : undefined };
}

/** What every run on an editor prompt takes from it and from the settings: the prompt, where Insert goes, the model, the cache. */
export function editorRun(target: EditorPrompt, settings: LabSettings): Pick<RunRequest, 'prompt' | 'promptSource' | 'insertAt' | 'model' | 'device' | 'cache'> {
  return {
    prompt: target.prompt,
    ...(target.promptSource ? { promptSource: target.promptSource } : {}),
    insertAt: target.insertAt,
    model: settings.model,
    device: settings.device,
    cache: settings.cacheEnabled,
  };
}
