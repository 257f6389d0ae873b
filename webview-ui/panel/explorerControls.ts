/**
 * Which control the distribution explorer gives each stage and parameter of the registry (an "on"
 * switch, a slider or count for a number, a text field for DRY breakers and logit bias), and how a
 * text field's line becomes a setting. Pure (no DOM), so a drift test checks every parameter has one.
 */
import { formatParamText, paramTextForm, parseParamText } from '../../src/core/sampling/paramText';
import { STAGES } from '../../src/core/sampling/registry';
import type { BiasParam, NumberParam, StageDefinition, TextsParam } from '../../src/core/sampling/stage';

/**
 * The four presets' own controls keep a value that means "off" (top-k 0, top-p 1, min-p 0;
 * temperature is always on); every other stage has an "on" checkbox beside its parameters.
 */
export const OFF_VALUE: Record<string, number | undefined> = { temperature: undefined, topK: 0, topP: 1, minP: 0 };

export type ParamControl = { kind: 'number'; param: NumberParam } | { kind: 'text'; param: TextsParam | BiasParam };

export interface StageControls {
  stage: StageDefinition;
  /** An "on" checkbox (every stage but the presets' own, which have an off value). */
  hasSwitch: boolean;
  params: ParamControl[];
}

/** Every stage's controls, in registry order: one per parameter. */
export function explorerControls(stages: readonly StageDefinition[] = STAGES): StageControls[] {
  return stages.map((stage) => ({
    stage,
    hasSwitch: !stage.params.some((p) => p.kind === 'number' && p.setting in OFF_VALUE),
    params: stage.params.map((param): ParamControl => (param.kind === 'number' ? { kind: 'number', param } : { kind: 'text', param })),
  }));
}

/** "DRY: breakers", "Logit bias: bias": how a text field is named in its label and errors. */
export function textControlName(stage: StageDefinition, param: TextsParam | BiasParam): string {
  return `${stage.title}: ${param.field}`;
}

/** What a text field shows for a setting's value (empty when unset). */
export function textControlText(param: TextsParam | BiasParam, value: unknown): string {
  return formatParamText(param, value);
}

/** What an empty field stands for, shown as its placeholder. */
export function textControlPlaceholder(param: TextsParam | BiasParam): string {
  return param.kind === 'texts' ? `default ${formatParamText(param, param.default)}` : '15043=-2, Paris=ban';
}

/**
 * A text field's line as its setting (undefined when empty: the default breakers, no bias), or an
 * error naming the parameter and the form it takes (the same as its CLI flag and Sample with Settings).
 */
export function readTextControl(stage: StageDefinition, param: TextsParam | BiasParam, text: string): { value: unknown } | { error: string } {
  const parsed = parseParamText(param, text);
  if ('value' in parsed) return parsed;
  return { error: `${textControlName(stage, param)} (${param.flag}): ${parsed.error}. Expected ${paramTextForm(param)}.` };
}
