/**
 * "Sampling Lab: Compare Strategies on Selection": every strategy of `samplingLab.strategies`
 * on the selected text, side by side in the panel.
 */
import type { RunRecord } from '../../protocol/messages';
import type { Runner } from '../runner';
import { readSettings } from '../settings';
import { editorRun, promptFromEditor } from './promptFromEditor';

export interface CompareArgs {
  /** Skips the editor and input box (tests, other commands). */
  prompt?: string;
}

export async function compareSelection(runner: Runner, args: CompareArgs = {}): Promise<RunRecord | undefined> {
  const settings = readSettings();
  const target = await promptFromEditor(args.prompt);
  if (!target) return undefined;
  return runner.run({
    kind: 'compare',
    ...editorRun(target, settings),
    strategies: settings.strategies,
    options: settings.options,
  });
}
