/**
 * Where Generate JSON for Selection gets its schema: a `*.schema.json` file in the workspace, a
 * JSON Schema inside the selection, or a JSON example inside the selection (a schema is inferred
 * from it and shown for confirmation). Every schema is checked here, in the host, before any
 * model work: a bad one becomes a SchemaError naming the file (or the selection) and the problem.
 * In Restricted Mode the workspace's schema files are neither listed nor read; the selection's
 * JSON, which the user chose, still is.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findFencedBlock } from '../core/structured/fencedBlock';
import { inferSchema, looksLikeSchema } from '../core/structured/inferSchema';
import { dialogText } from './dialogText';
import { checkSchema, parseJsonText, parseSchemaText, SchemaError } from '../core/structured/schema';
import { readWorkspaceFile } from '../node/safeFiles';
import type { JsonSchema } from '../protocol/messages';
import { readFileLimits } from './settings';
import { untrustedReason, workspaceTrusted } from './workspaceTrust';

/** A selection split into the prompt and the JSON block it may hold (a schema or an example). */
export interface SelectionParts {
  /** The selection without its JSON block (all of it when there is none). */
  prompt: string;
  block?: SelectionBlock;
}

export type SelectionBlock =
  | { kind: 'schema' | 'example'; text: string; value: unknown }
  | { kind: 'invalid'; text: string; error: string };

export const SELECTION_SCHEMA_SOURCE = 'the schema in the selection';
export const INFERRED_SCHEMA_SOURCE = 'inferred from the example in the selection';

/**
 * Finds a JSON block in a selection: a fenced code block (```json … ```), or else a value that
 * starts a line with `{` or `[` and runs to its matching bracket (to the end when unbalanced).
 * The text around it is the prompt: "JSON for Ada:\n{ …schema… }" gives the prompt "JSON for Ada:\n".
 */
export function splitSelection(text: string): SelectionParts {
  const fenced = findFencedBlock(text);
  if (fenced) return withBlock(text, fenced.start, fenced.end, fenced.body);
  const opener = /(?:^|\n)[^\S\n]*([{[])/.exec(text);
  if (!opener) return { prompt: text };
  const start = opener.index + opener[0].length - 1;
  const close = matchingBracket(text, start);
  const end = close < 0 ? text.length : close + 1;
  return withBlock(text, start, end, text.slice(start, end));
}

function withBlock(text: string, start: number, end: number, blockText: string): SelectionParts {
  const before = text.slice(0, start);
  // The block's own line break goes with it.
  const after = text.slice(end).replace(/^[^\S\n]*\n/, '');
  const prompt = before.trim() === '' ? after : after.trim() === '' ? before : before + after;
  const parsed = parseJsonText(blockText);
  if (!parsed.ok) return { prompt, block: { kind: 'invalid', text: blockText, error: parsed.issue.message } };
  return { prompt, block: { kind: looksLikeSchema(parsed.value) ? 'schema' : 'example', text: blockText, value: parsed.value } };
}

/** The index of the bracket closing the one at `open`, skipping strings; -1 when unbalanced. */
function matchingBracket(text: string, open: number): number {
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** One choice of the quick pick. */
export type SchemaChoice = { kind: 'file'; uri: vscode.Uri; label: string } | { kind: 'selection'; block: SelectionBlock };

export interface ResolvedSchema {
  schema: JsonSchema;
  /** Shown on the run and in messages: a workspace-relative file name, or where in the selection. */
  source: string;
  /** Inferred from an example: the user confirms it before it is used. */
  inferred: boolean;
}

/** Reads and checks a schema file. Throws SchemaError naming the file and the problem. */
export async function readSchemaFile(uri: vscode.Uri): Promise<ResolvedSchema> {
  const source = vscode.workspace.asRelativePath(uri, false);
  if (!workspaceTrusted()) throw new SchemaError(untrustedReason(`reads schema files such as ${source}`), source);
  let text: string;
  try {
    // A schema file found in a repository: inside the workspace after symlinks, regular, capped.
    const root = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? path.dirname(uri.fsPath);
    text = await readWorkspaceFile(root, uri.fsPath, {
      kind: 'schema file',
      shownAs: source,
      maxBytes: readFileLimits().schemaFileBytes,
      limitSetting: 'samplingLab.limits.schemaFileBytes',
    });
  } catch (e) {
    throw new SchemaError(`${source} could not be read: ${(e as Error).message}`, source);
  }
  const schema = parseSchemaText(text, source);
  checkSchema(schema, source);
  return { schema, source, inferred: false };
}

/** The schema a selection block gives: itself, or one inferred from the example. Throws SchemaError. */
export function schemaFromBlock(block: SelectionBlock): ResolvedSchema {
  switch (block.kind) {
    case 'invalid':
      throw new SchemaError(`The JSON in the selection is not valid JSON: ${block.error}.`, 'selection');
    case 'schema':
      checkSchema(block.value, SELECTION_SCHEMA_SOURCE);
      return { schema: block.value as JsonSchema, source: SELECTION_SCHEMA_SOURCE, inferred: false };
    case 'example': {
      const schema = inferSchema(block.value);
      checkSchema(schema, INFERRED_SCHEMA_SOURCE);
      return { schema, source: INFERRED_SCHEMA_SOURCE, inferred: true };
    }
  }
}

export function resolveSchemaChoice(choice: SchemaChoice): Promise<ResolvedSchema> {
  return choice.kind === 'file' ? readSchemaFile(choice.uri) : Promise.resolve().then(() => schemaFromBlock(choice.block));
}

/** The workspace's `*.schema.json` files, by path; none in Restricted Mode. */
export async function findSchemaFiles(): Promise<vscode.Uri[]> {
  if (!workspaceTrusted()) return [];
  const files = await vscode.workspace.findFiles('**/*.schema.json', '**/node_modules/**', 200);
  return files.sort((a, b) => vscode.workspace.asRelativePath(a).localeCompare(vscode.workspace.asRelativePath(b)));
}

interface ChoiceItem extends vscode.QuickPickItem {
  choice?: SchemaChoice;
}

/** The quick pick of schema sources: the selection's JSON block first (when it has one), then the files. */
export async function pickSchemaSource(block: SelectionBlock | undefined, files: readonly vscode.Uri[]): Promise<SchemaChoice | undefined> {
  const items: ChoiceItem[] = [];
  if (block) {
    items.push({ label: 'Selection', kind: vscode.QuickPickItemKind.Separator });
    const choice: SchemaChoice = { kind: 'selection', block };
    if (block.kind === 'invalid') {
      items.push({ label: '$(warning) JSON in the selection', description: 'not valid JSON', detail: block.error, choice });
    } else if (block.kind === 'schema') {
      items.push({ label: '$(json) Schema in the selection', detail: summarise(block.text), choice });
    } else {
      items.push({ label: '$(lightbulb) Infer a schema from the JSON example in the selection', detail: summarise(block.text), choice });
    }
  }
  if (files.length > 0) {
    items.push({ label: 'Workspace schema files', kind: vscode.QuickPickItemKind.Separator });
    for (const uri of files) {
      const label = vscode.workspace.asRelativePath(uri, false);
      items.push({ label, iconPath: vscode.ThemeIcon.File, resourceUri: uri, choice: { kind: 'file', uri, label } } as ChoiceItem);
    }
  }
  if (!items.some((i) => i.choice)) {
    throw new SchemaError(
      workspaceTrusted()
        ? 'No JSON schema to use: add a *.schema.json file to the workspace, or select the prompt together with a JSON Schema or a JSON example.'
        : `No JSON schema to use: select the prompt together with a JSON Schema or a JSON example. ${untrustedReason('lists the workspace\'s *.schema.json files')}`,
    );
  }
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Sampling Lab: Generate JSON for Selection — schema',
    placeHolder: 'Where does the JSON schema come from?',
    matchOnDetail: true,
    ignoreFocusOut: true,
  });
  return picked?.choice;
}

/** Shows an inferred schema and asks to use it; true when accepted. */
export async function confirmInferredSchema(schema: JsonSchema): Promise<boolean> {
  const detail = dialogText(JSON.stringify(schema, null, 2));
  const use = 'Use This Schema';
  const answer = await vscode.window.showInformationMessage('Sampling Lab: use this schema, inferred from the JSON example in the selection?', { modal: true, detail }, use);
  return answer === use;
}

function summarise(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 80 ? `${oneLine.slice(0, 79)}…` : oneLine;
}
