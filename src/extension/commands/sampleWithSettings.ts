/**
 * "Sampling Lab: Sample with Settings…": one strategy with parameters picked in a quick pick
 * (T, k, p, min-p, N, seed, max tokens, and the prompt format: the model's chat template or raw,
 * this run only). The last choice is remembered (globalState).
 */
import * as vscode from 'vscode';
import { strategyFromSettings, type StrategySettings } from '../../core/decode/strategies';
import type { StrategyKind } from '../../core/decode/types';
import type { RunOptions, RunRecord } from '../../protocol/messages';
import type { Runner } from '../runner';
import { LIMITS, promptFormatOf, readSettings } from '../settings';
import { editorRun, promptFromEditor } from './promptFromEditor';

export const LAST_CHOICE_KEY = 'samplingLab.lastSampleChoice';

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

type Field = Exclude<keyof SampleChoice, 'kind' | 'promptFormat'>;

const KINDS: { kind: SampleChoice['kind']; label: string; detail: string }[] = [
  { kind: 'greedy', label: 'greedy', detail: 'Always the most likely token.' },
  { kind: 'temperature', label: 'temperature', detail: 'Sample from softmax(logits / T).' },
  { kind: 'top_k', label: 'top-k', detail: 'Sample among the k most likely tokens.' },
  { kind: 'top_p', label: 'top-p (nucleus)', detail: 'Sample from the smallest set whose mass reaches p.' },
  { kind: 'min_p', label: 'min-p', detail: 'Keep tokens with p ≥ min-p × p(top token).' },
  { kind: 'best_of_n', label: 'best-of-N', detail: 'Draw N, keep the highest mean log-prob.' },
];

const FIELDS: Record<Field, { label: string; kinds?: SampleChoice['kind'][]; integer: boolean; min: number; max: number }> = {
  temperature: { label: 'Temperature T', kinds: ['temperature', 'top_k', 'top_p', 'min_p', 'best_of_n'], integer: false, min: 0, max: 10 },
  topK: { label: 'Top-k k', kinds: ['top_k'], integer: true, min: 1, max: 100_000 },
  topP: { label: 'Top-p p', kinds: ['top_p'], integer: false, min: 0.001, max: 1 },
  minP: { label: 'Min-p', kinds: ['min_p'], integer: false, min: 0, max: 1 },
  candidates: { label: 'Candidates N', kinds: ['best_of_n'], integer: true, min: 1, max: 64 },
  seed: { label: 'Seed', integer: true, min: LIMITS.seed.min, max: LIMITS.seed.max },
  maxNewTokens: { label: 'Max new tokens', integer: true, min: LIMITS.maxNewTokens.min, max: LIMITS.maxNewTokens.max },
};

export function defaultChoice(seed: number, maxNewTokens: number): SampleChoice {
  return { kind: 'top_p', temperature: 1, topK: 40, topP: 0.9, minP: 0.1, candidates: 4, seed, maxNewTokens };
}

/** The strategy settings of a choice: only the fields its kind uses. */
export function choiceToStrategySettings(choice: SampleChoice): StrategySettings {
  const s: StrategySettings = { kind: choice.kind };
  for (const [field, spec] of Object.entries(FIELDS) as [Field, (typeof FIELDS)[Field]][]) {
    if (spec.kinds?.includes(choice.kind)) (s as unknown as Record<string, number>)[field] = choice[field];
  }
  return s;
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
  await globalState.update(LAST_CHOICE_KEY, choice);
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
  action: 'run' | 'kind' | 'format' | Field;
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
      ...(Object.entries(FIELDS) as [Field, (typeof FIELDS)[Field]][])
        .filter(([, spec]) => !spec.kinds || spec.kinds.includes(choice.kind))
        .map(([field, spec]) => ({ action: field, label: spec.label, description: String(choice[field]) })),
    ];
    const picked = await vscode.window.showQuickPick(items, {
      title: 'Sampling Lab: Sample with Settings',
      placeHolder: 'Pick a parameter to change it, or Run',
      ignoreFocusOut: true,
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
    const spec = FIELDS[field];
    const value = await vscode.window.showInputBox({
      title: spec.label,
      value: String(choice[field]),
      prompt: `${spec.integer ? 'An integer' : 'A number'} from ${spec.min} to ${spec.max}.`,
      ignoreFocusOut: true,
      validateInput: (text) => {
        const n = Number(text);
        if (text.trim() === '' || !Number.isFinite(n)) return 'Enter a number.';
        if (spec.integer && !Number.isInteger(n)) return 'Enter an integer.';
        if (n < spec.min || n > spec.max) return `Must be from ${spec.min} to ${spec.max}.`;
        return undefined;
      },
    });
    if (value !== undefined) choice = { ...choice, [field]: Number(value) };
  }
}
