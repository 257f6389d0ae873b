/**
 * "Sampling Lab: Compare Models on Selection": the strategies of `samplingLab.strategies`, with
 * the same options and seed, on `samplingLab.model` and on each model of
 * `samplingLab.compareModels`, one after another, as one run whose cards the panel groups by model.
 */
import type { RunRecord } from '../../protocol/messages';
import type { Runner } from '../runner';
import { withRunInputs, type PerRunInputs } from '../runInputs';
import { readCompareModels, readSettings, SECTION, SettingsError } from '../settings';
import { editorRun, promptFromEditor } from './promptFromEditor';

export interface CompareModelsArgs extends PerRunInputs {
  /** Skips the editor and input box (tests, other commands). */
  prompt?: string;
  /** The models, in order, instead of `samplingLab.model` and `samplingLab.compareModels` (tests, other commands). */
  models?: string[];
}

/** The models to compare, in order, each once: the one selected first, then the setting's list. */
export function modelsToCompare(selected: string, others: readonly string[]): string[] {
  return [...new Set([selected, ...others])];
}

export async function compareModels(runner: Runner, args: CompareModelsArgs = {}, panelInputs: () => PerRunInputs = () => ({})): Promise<RunRecord | undefined> {
  const settings = readSettings();
  const options = withRunInputs(settings.options, args, panelInputs());
  const models = args.models ?? modelsToCompare(settings.model, readCompareModels());
  if (models.length < 2) {
    throw new SettingsError(
      `Compare Models needs a second model: list it in your user settings' ${SECTION}.compareModels (the same values as ${SECTION}.model: "facts-lm", a folder path, a hub id owner/name or endpoint:NAME). ` +
        `It runs beside ${SECTION}.model ("${settings.model}").`,
      `${SECTION}.compareModels`,
    );
  }
  const target = await promptFromEditor(args.prompt);
  if (!target) return undefined;
  const { model: _selected, ...run } = editorRun(target, settings);
  const fixFor = (model: string) =>
    args.models
      ? ''
      : model === settings.model
        ? `It is ${SECTION}.model: pick another with Select Model….`
        : `Fix or remove it in your user settings' ${SECTION}.compareModels.`;
  return runner.runModels({ kind: 'compare', ...run, strategies: settings.strategies, options }, models, fixFor);
}
