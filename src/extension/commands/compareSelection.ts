/**
 * "Sampling Lab: Compare Strategies on Selection": every strategy of `samplingLab.strategies`
 * on the selected text, side by side in the panel, with the panel's per-run max tokens and stop
 * strings (or the command's own).
 */
import type { RunRecord } from '../../protocol/messages';
import type { Runner } from '../runner';
import { withRunInputs, type PerRunInputs } from '../runInputs';
import { readSettings } from '../settings';
import { editorRun, promptFromEditor } from './promptFromEditor';

export interface CompareArgs extends PerRunInputs {
  /** Skips the editor and input box (tests, other commands). */
  prompt?: string;
}

/** `panelInputs`: the panel's toolbar fields as last sent (throws when one holds what no run can take). */
export async function compareSelection(runner: Runner, args: CompareArgs = {}, panelInputs: () => PerRunInputs = () => ({})): Promise<RunRecord | undefined> {
  const settings = readSettings();
  // Checked before the prompt is asked for: a bad field must not cost the user a typed prompt.
  const options = withRunInputs(settings.options, args, panelInputs());
  const target = await promptFromEditor(args.prompt);
  if (!target) return undefined;
  return runner.run({
    kind: 'compare',
    ...editorRun(target, settings),
    strategies: settings.strategies,
    options,
  });
}
