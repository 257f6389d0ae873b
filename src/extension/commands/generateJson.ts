/**
 * "Sampling Lab: Generate JSON for Selection…": the four structured-output routes (prompting with
 * validation, post-processing with jsonrepair, constrained sampling, test-time compute) on the
 * selected prompt, side by side in the panel. The schema comes from a quick pick: a
 * `*.schema.json` file in the workspace, a JSON Schema in the selection, or a JSON example in
 * the selection (the inferred schema is shown for confirmation first).
 *
 * The routes sample at temperature 1.0, where unconstrained output sometimes breaks, with the
 * core's budgets (96 new tokens per try, 2 re-asks, N = 8) and `samplingLab.seed`.
 */
import * as vscode from 'vscode';
import { checkPromptText } from '../../core/decode/compare';
import { strategyFromSettings } from '../../core/decode/strategies';
import { STRUCTURED_DEFAULTS } from '../../core/structured/routes';
import type { RunRecord } from '../../protocol/messages';
import { confirmInferredSchema, findSchemaFiles, pickSchemaSource, resolveSchemaChoice, splitSelection, type SchemaChoice } from '../schemaSources';
import { promptFormatOf, readSettings } from '../settings';
import type { StructuredRuns } from '../structuredRuns';
import { promptFromEditor } from './promptFromEditor';

export interface GenerateJsonArgs {
  /** Stands in for the editor's selection (tests, other commands). */
  selection?: string;
  /** The prompt, when the selection is only a schema or an example; otherwise asked for. */
  prompt?: string;
  /** A schema file (path or URI): skips the quick pick. */
  schemaFile?: string;
  /** Use the selection's JSON block (schema or example): skips the quick pick. */
  useSelectionJson?: boolean;
  /** Accept a schema inferred from an example without the confirmation dialog. */
  acceptInferred?: boolean;
}

export async function generateJson(runs: StructuredRuns, args: GenerateJsonArgs = {}): Promise<RunRecord | undefined> {
  const settings = readSettings();
  const target = await promptFromEditor(args.selection);
  if (!target) return undefined;
  const parts = splitSelection(target.prompt);

  let choice: SchemaChoice | undefined;
  if (args.schemaFile !== undefined) {
    const uri = /^[a-z][\w+.-]+:/i.test(args.schemaFile) ? vscode.Uri.parse(args.schemaFile) : vscode.Uri.file(args.schemaFile);
    choice = { kind: 'file', uri, label: vscode.workspace.asRelativePath(uri, false) };
  } else if (args.useSelectionJson && parts.block) {
    choice = { kind: 'selection', block: parts.block };
  } else {
    choice = await pickSchemaSource(parts.block, await findSchemaFiles());
  }
  if (!choice) return undefined;
  const resolved = await resolveSchemaChoice(choice);
  if (resolved.inferred && !args.acceptInferred && !(await confirmInferredSchema(resolved.schema))) return undefined;

  // With a schema file, an unreadable JSON block is part of the prompt; a readable one never is.
  const prompt = choice.kind === 'file' && parts.block?.kind === 'invalid' ? target.prompt : parts.prompt;
  const finalPrompt = prompt.trim() !== '' ? prompt : await askForPrompt(args.prompt);
  if (finalPrompt === undefined) return undefined;
  checkPromptText(finalPrompt);

  return runs.run({
    prompt: finalPrompt,
    schema: resolved.schema,
    schemaSource: resolved.source,
    strategy: strategyFromSettings({ kind: 'temperature', temperature: 1.0 }),
    // The prompt format (chat template or raw, system message) follows the settings, like every run.
    options: { maxNewTokens: STRUCTURED_DEFAULTS.maxNewTokens, seed: settings.options.seed, samples: STRUCTURED_DEFAULTS.samples, ...promptFormatOf(settings.options) },
    maxRetries: STRUCTURED_DEFAULTS.maxRetries,
    model: settings.model,
    device: settings.device,
    insertAt: target.insertAt,
  });
}

/** The selection held only the schema or example: ask what the JSON is for. */
async function askForPrompt(given: string | undefined): Promise<string | undefined> {
  if (given !== undefined) return given;
  const value = await vscode.window.showInputBox({
    title: 'Sampling Lab: prompt for the JSON',
    prompt: 'The selection holds only JSON. What should the model write JSON for? ("\\n" is a newline.)',
    value: 'JSON for ',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? undefined : 'The prompt is empty.'),
  });
  return value?.replace(/\\n/g, '\n');
}
