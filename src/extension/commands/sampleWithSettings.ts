/**
 * "Sampling Lab: Sample with Settings…": one strategy with parameters picked in a quick pick
 * (T, k, p, min-p, N, seed, max tokens, a step per stage parameter of the registry: typical-p,
 * DRY, XTC, mirostat, …, and the prompt format: the model's chat template or raw, this run only).
 * The last choice is remembered (globalState).
 */
import * as vscode from 'vscode';
import { strategyFromSettings, type StrategySettings } from '../../core/decode/strategies';
import type { StrategyKind } from '../../core/decode/types';
import { formatParamText, paramTextForm, parseParamText } from '../../core/sampling/paramText';
import { allParams } from '../../core/sampling/registry';
import type { ParamSpec } from '../../core/sampling/stage';
import type { RunOptions, RunRecord } from '../../protocol/messages';
import type { Runner } from '../runner';
import { LIMITS, promptFormatOf, readSettings } from '../settings';
import { editorRun, promptFromEditor } from './promptFromEditor';

export const LAST_CHOICE_KEY = 'samplingLab.lastSampleChoice';

/**
 * What the quick pick edits: the strategy kind, seed, length, best-of-N's N, and any stage
 * parameter by its setting key (registry.ts): temperature, topK, topP, minP for the presets, and
 * typicalP, dryMultiplier, xtcProbability, … (absent: that stage is off).
 */
export interface SampleChoice {
  kind: Exclude<StrategyKind, 'custom'>;
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  candidates: number;
  seed: number;
  maxNewTokens: number;
  /** This run's prompt format; absent: samplingLab.promptFormat. */
  promptFormat?: PromptFormatSetting;
  [setting: string]: unknown;
}

type PromptFormatSetting = 'auto' | 'chat' | 'raw';

const FORMATS: { format: PromptFormatSetting; label: string; detail: string }[] = [
  { format: 'auto', label: 'auto', detail: "The model's chat template when it has one, raw otherwise." },
  { format: 'chat', label: 'chat template', detail: "Through the model's chat template, after samplingLab.systemPrompt." },
  { format: 'raw', label: 'raw', detail: 'The selection as it is (BOS + text).' },
];

export interface SampleArgs {
  /** Skips the quick pick: the given fields over the remembered choice (tests). */
  choice?: Partial<SampleChoice>;
  prompt?: string;
}

const KINDS: { kind: SampleChoice['kind']; label: string; detail: string }[] = [
  { kind: 'greedy', label: 'greedy', detail: 'Always the most likely token.' },
  { kind: 'temperature', label: 'temperature', detail: 'Sample from softmax(logits / T).' },
  { kind: 'top_k', label: 'top-k', detail: 'Sample among the k most likely tokens.' },
  { kind: 'top_p', label: 'top-p (nucleus)', detail: 'Sample from the smallest set whose mass reaches p.' },
  { kind: 'min_p', label: 'min-p', detail: 'Keep tokens with p ≥ min-p × p(top token).' },
  { kind: 'best_of_n', label: 'best-of-N', detail: 'Draw N, keep the highest mean log-prob.' },
];

const SAMPLING_KINDS: SampleChoice['kind'][] = ['temperature', 'top_k', 'top_p', 'min_p', 'best_of_n'];
/** A preset's own parameter shows only for that preset; every other stage parameter for every sampling preset. */
const PRESET_OWN: Record<string, SampleChoice['kind']> = { topK: 'top_k', topP: 'top_p', minP: 'min_p' };

interface FieldSpec {
  label: string;
  detail?: string;
  kinds?: SampleChoice['kind'][];
  /** Set for a number; absent for text fields (logit bias, DRY breakers). */
  number?: { integer: boolean; min: number; max: number; minOpen?: boolean; maxOpen?: boolean };
  param?: ParamSpec;
  /** A stage parameter that may be left empty (the stage is off). */
  optional: boolean;
}

/** The quick pick's steps: the preset fields, then one per stage parameter of the registry. */
export const FIELDS: Record<string, FieldSpec> = (() => {
  const fields: Record<string, FieldSpec> = {};
  for (const { stage, param } of allParams()) {
    const kinds = PRESET_OWN[param.setting] ? [PRESET_OWN[param.setting]!] : SAMPLING_KINDS;
    const label = stage ? `${stage.title}: ${param.field}` : 'Min keep';
    const number = param.kind === 'number' ? { integer: !!param.integer, min: param.min, max: param.max, minOpen: param.minOpen, maxOpen: param.maxOpen } : undefined;
    fields[param.setting] = { label, detail: param.help, kinds, number, param, optional: !['temperature', 'topK', 'topP', 'minP'].includes(param.setting) };
  }
  fields.temperature!.label = 'Temperature T';
  fields.candidates = { label: 'Candidates N', kinds: ['best_of_n'], number: { integer: true, min: 1, max: 64 }, optional: false };
  fields.seed = { label: 'Seed', number: { integer: true, min: LIMITS.seed.min, max: LIMITS.seed.max }, optional: false };
  fields.maxNewTokens = { label: 'Max new tokens', number: { integer: true, min: LIMITS.maxNewTokens.min, max: LIMITS.maxNewTokens.max }, optional: false };
  return fields;
})();

export function defaultChoice(seed: number, maxNewTokens: number): SampleChoice {
  return { kind: 'top_p', temperature: 1, topK: 40, topP: 0.9, minP: 0.1, candidates: 4, seed, maxNewTokens };
}

/** The strategy settings of a choice: only the fields its kind uses, and the stages that are on. */
export function choiceToStrategySettings(choice: SampleChoice): StrategySettings {
  const s: StrategySettings = { kind: choice.kind };
  for (const [field, spec] of Object.entries(FIELDS)) {
    if (spec.kinds?.includes(choice.kind) && choice[field] !== undefined && choice[field] !== null) s[field] = choice[field];
  }
  return s;
}

/** A field's value as the quick pick shows it and the input box starts from. */
function shown(spec: FieldSpec, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (spec.param?.kind === 'bias' || spec.param?.kind === 'texts') return formatParamText(spec.param, value);
  return String(value);
}

/** The input box's text as the field's value; a string is the reason it is not one. */
export function parseField(spec: FieldSpec, text: string): { value: unknown } | string {
  if (text.trim() === '') return spec.optional ? { value: undefined } : 'Enter a value.';
  if (spec.param?.kind === 'bias' || spec.param?.kind === 'texts') {
    const parsed = parseParamText(spec.param, text);
    return 'error' in parsed ? `${parsed.error}: enter ${paramTextForm(spec.param)}.` : parsed;
  }
  const n = Number(text);
  const range = spec.number!;
  if (!Number.isFinite(n)) return 'Enter a number.';
  if (range.integer && !Number.isInteger(n)) return 'Enter an integer.';
  const low = range.minOpen ? n <= range.min : n < range.min;
  const high = range.maxOpen ? n >= range.max : n > range.max;
  if (low || high) return `Must be ${range.minOpen ? 'above' : 'from'} ${range.min}${range.max === Infinity ? '' : ` ${range.maxOpen ? 'and below' : 'to'} ${range.max}`}.`;
  return { value: n };
}

export async function sampleWithSettings(runner: Runner, globalState: vscode.Memento, args: SampleArgs = {}): Promise<RunRecord | undefined> {
  const settings = readSettings();
  const remembered = globalState.get<SampleChoice>(LAST_CHOICE_KEY);
  let choice: SampleChoice = { ...defaultChoice(settings.options.seed, settings.options.maxNewTokens), ...remembered, ...args.choice };
  if (!args.choice) {
    const picked = await pickChoice(choice);
    if (!picked) return undefined;
    choice = picked;
  }
  // Checked by the same parser as samplingLab.strategies, so messages read the same.
  const strategy = strategyFromSettings(choiceToStrategySettings(choice), 'Sample with Settings');
  // The prompt format is this run's alone (its quick pick says so): the next run starts from the setting again.
  const { promptFormat: _thisRunOnly, ...toRemember } = choice;
  await globalState.update(LAST_CHOICE_KEY, toRemember);
  const target = await promptFromEditor(args.prompt);
  if (!target) return undefined;
  return runner.run({
    kind: 'compare',
    ...editorRun(target, settings),
    strategies: [strategy],
    options: { seed: choice.seed, maxNewTokens: choice.maxNewTokens, samples: settings.options.samples, ...formatFor(choice.promptFormat, settings.options) },
  });
}

/** The run's chat/system fields: the choice's format when it made one, else the settings'. */
function formatFor(format: PromptFormatSetting | undefined, options: RunOptions): Pick<RunOptions, 'chat' | 'system'> {
  if (format === undefined) return promptFormatOf(options);
  if (format === 'raw') return { chat: false };
  const system = options.system !== undefined ? { system: options.system } : {};
  return format === 'chat' ? { chat: true, ...system } : system;
}

interface ChoiceItem extends vscode.QuickPickItem {
  action: string;
}

/** A quick pick listing the parameters; picking one edits it, "Run" accepts them all. */
async function pickChoice(initial: SampleChoice): Promise<SampleChoice | undefined> {
  let choice = { ...initial };
  for (;;) {
    const kindLabel = KINDS.find((k) => k.kind === choice.kind)!.label;
    const items: ChoiceItem[] = [
      { action: 'run', label: '$(play) Run', description: 'on the selection (or the current line)' },
      { action: 'kind', label: 'Strategy', description: kindLabel },
      { action: 'format', label: 'Prompt', description: FORMATS.find((f) => f.format === (choice.promptFormat ?? 'auto'))!.label },
      ...Object.entries(FIELDS)
        .filter(([, spec]) => !spec.kinds || spec.kinds.includes(choice.kind))
        .map(([field, spec]) => ({ action: field, label: spec.label, description: shown(spec, choice[field]) || 'off', detail: spec.optional ? spec.detail : undefined })),
    ];
    const picked = await vscode.window.showQuickPick(items, {
      title: 'Sampling Lab: Sample with Settings',
      placeHolder: 'Pick a parameter to change it, or Run',
      ignoreFocusOut: true,
      matchOnDetail: true,
    });
    if (!picked) return undefined;
    if (picked.action === 'run') return choice;
    if (picked.action === 'kind') {
      const kind = await vscode.window.showQuickPick(
        KINDS.map((k) => ({ label: k.label, detail: k.detail, strategyKind: k.kind, picked: k.kind === choice.kind })),
        { title: 'Strategy', ignoreFocusOut: true },
      );
      if (kind) choice = { ...choice, kind: kind.strategyKind };
      continue;
    }
    if (picked.action === 'format') {
      const format = await vscode.window.showQuickPick(
        FORMATS.map((f) => ({ label: f.label, detail: f.detail, format: f.format, picked: f.format === (choice.promptFormat ?? 'auto') })),
        { title: 'Prompt format (this run)', ignoreFocusOut: true },
      );
      if (format) choice = { ...choice, promptFormat: format.format };
      continue;
    }
    const field = picked.action;
    const spec = FIELDS[field]!;
    const value = await vscode.window.showInputBox({
      title: spec.label,
      value: shown(spec, choice[field]),
      prompt: `${spec.detail ?? spec.label}${spec.optional ? ' Leave empty to turn it off.' : ''}`,
      ignoreFocusOut: true,
      validateInput: (text) => {
        const parsed = parseField(spec, text);
        return typeof parsed === 'string' ? parsed : undefined;
      },
    });
    if (value === undefined) continue;
    const parsed = parseField(spec, value);
    if (typeof parsed !== 'string') choice = { ...choice, [field]: parsed.value };
  }
}
