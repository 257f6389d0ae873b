/**
 * Reads `samplingLab.*` into typed values. A bad value never throws out of here: it becomes a
 * SettingsError naming the setting and the fix, which the commands show to the user.
 */
import { DTYPES, isDtype, type DtypeChoice } from '../core/model/hubModel';
import { DEVICE_PREFERENCES } from '../core/model/backends';
import * as vscode from 'vscode';
import { MAX_THREADS, parseThreads, type ThreadsChoice } from '../core/model/threads';
import { strategyFromSettings, uniqueNames } from '../core/decode/strategies';
import type { Strategy } from '../core/decode/types';
import { FILE_LIMITS } from '../node/safeFiles';
import { MAX_NEW_TOKENS_RANGE } from '../core/decode/runInputs';
import type { DevicePreference, RunOptions } from '../protocol/messages';

export const SECTION = 'samplingLab';

export interface LabSettings {
  model: string;
  device: DevicePreference;
  /** `samplingLab.dtype`: which weights of a hub model (auto: by device). */
  dtype: DtypeChoice;
  /** `samplingLab.hub.*`: override HF_ENDPOINT and HF_HUB_CACHE (empty: the environment's). */
  hub: { endpoint?: string; cacheDir?: string };
  strategies: Strategy[];
  options: RunOptions;
  /** `samplingLab.cache.enabled`: serve a repeated run from the response cache. */
  cacheEnabled: boolean;
}

/** Check Hallucination Risk's own settings (`samplingLab.risk.*`). */
export interface RiskSettings {
  /** N, samples drawn beside the greedy answer. */
  samples: number;
  temperature: number;
}

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
  constructor(
    message: string,
    /** The full setting id, e.g. `samplingLab.strategies[2].topP`. */
    readonly setting: string,
  ) {
    super(message);
  }
}

/** The same ranges as the JSON schema in package.json (VS Code only warns; we enforce). */
export const LIMITS = {
  samples: { min: 1, max: 16 },
  maxNewTokens: MAX_NEW_TOKENS_RANGE,
  seed: { min: 0, max: 0xffffffff },
  'risk.samples': { min: 2, max: 32 },
} as const;

/** `samplingLab.risk.temperature`: above 0 (at T = 0 every sample is the greedy answer), at most this. */
export const MAX_RISK_TEMPERATURE = 5;

export const DEVICES: readonly DevicePreference[] = DEVICE_PREFERENCES;

/** A view of the configuration, so tests can pass plain objects. */
export type SettingsSource = Pick<vscode.WorkspaceConfiguration, 'get'>;

export function readSettings(config: SettingsSource = vscode.workspace.getConfiguration(SECTION)): LabSettings {
  const model = config.get<unknown>('model', 'facts-lm');
  if (typeof model !== 'string') throw new SettingsError(`${SECTION}.model must be a string: "facts-lm" or a folder path.`, `${SECTION}.model`);

  const device = config.get<unknown>('device', 'auto');
  if (!DEVICES.includes(device as DevicePreference)) {
    throw new SettingsError(`${SECTION}.device is ${JSON.stringify(device)}; use one of ${DEVICES.join(', ')}.`, `${SECTION}.device`);
  }

  const raw = config.get<unknown>('strategies');
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new SettingsError(`${SECTION}.strategies must be a non-empty list of strategies, e.g. [{ "kind": "greedy" }].`, `${SECTION}.strategies`);
  }
  const strategies = uniqueNames(
    raw.map((entry, i) => {
      try {
        return strategyFromSettings(entry, `${SECTION}.strategies[${i}]`);
      } catch (e) {
        const err = e as Error & { setting?: string };
        throw new SettingsError(err.message, err.setting ?? `${SECTION}.strategies[${i}]`);
      }
    }),
  );

  const dtype = config.get<unknown>('dtype', 'auto');
  if (dtype !== 'auto' && !isDtype(dtype)) {
    throw new SettingsError(`${SECTION}.dtype is ${JSON.stringify(dtype)}; use auto or one of ${DTYPES.join(', ')}.`, `${SECTION}.dtype`);
  }
  const promptFormat = config.get<unknown>('promptFormat', 'auto');
  if (!['auto', 'chat', 'raw'].includes(promptFormat as string)) {
    throw new SettingsError(`${SECTION}.promptFormat is ${JSON.stringify(promptFormat)}; use auto, chat or raw.`, `${SECTION}.promptFormat`);
  }
  const system = config.get<unknown>('systemPrompt', '');
  if (typeof system !== 'string') throw new SettingsError(`${SECTION}.systemPrompt must be a string.`, `${SECTION}.systemPrompt`);
  const text = (key: string) => {
    const v = config.get<unknown>(key, '');
    return typeof v === 'string' && v.trim() ? v.trim() : undefined;
  };

  return {
    model: model.trim() || 'facts-lm',
    device: device as DevicePreference,
    dtype: dtype as DtypeChoice,
    hub: { endpoint: text('hub.endpoint'), cacheDir: text('hub.cacheDir') },
    strategies,
    options: {
      samples: integerSetting(config, 'samples', 1),
      maxNewTokens: integerSetting(config, 'maxNewTokens', 24),
      seed: integerSetting(config, 'seed', 42),
      // Only when set, so a run's options (and its cache key) are unchanged for raw models.
      ...(promptFormat === 'auto' ? {} : { chat: promptFormat === 'chat' }),
      ...(system.trim() && promptFormat !== 'raw' ? { system } : {}),
    },
    cacheEnabled: booleanSetting(config, 'cache.enabled', true),
  };
}

/**
 * `samplingLab.compareModels`: the models Compare Models on Selection runs beside
 * `samplingLab.model`, each in the form `samplingLab.model` takes. From user settings only (the
 * setting's scope is application): a workspace must not send the prompt to a server or load a
 * folder the user did not choose. A relative path is refused here: it would name a folder inside
 * whichever workspace is open.
 */
export function readCompareModels(config: Pick<vscode.WorkspaceConfiguration, 'inspect'> = vscode.workspace.getConfiguration(SECTION)): string[] {
  const value = config.inspect<unknown>('compareModels')?.globalValue ?? [];
  const setting = `${SECTION}.compareModels`;
  if (!Array.isArray(value)) throw new SettingsError(`${setting} must be a list of models, e.g. ["facts-lm", "~/models/my-model", "endpoint:local"].`, setting);
  return value.map((entry, i) => {
    if (typeof entry !== 'string' || !entry.trim()) throw new SettingsError(`${setting}[${i}] must be a model: "facts-lm", a folder path, a hub id owner/name or endpoint:NAME (got ${JSON.stringify(entry)}).`, setting);
    const model = entry.trim();
    if (/^\.{1,2}([/\\]|$)/.test(model)) {
      throw new SettingsError(`${setting}[${i}] "${model}" is a relative path: it would name a folder inside whichever workspace is open. Give an absolute path or one starting with ~/.`, setting);
    }
    return model;
  });
}

/** `samplingLab.threads`: the native engines' CPU threads (core/model/threads decides what auto means at load). */
export function readThreadsSetting(config: SettingsSource = vscode.workspace.getConfiguration(SECTION)): ThreadsChoice {
  const value = config.get<unknown>('threads', 'auto');
  const threads = parseThreads(value);
  if (threads === undefined) throw new SettingsError(`${SECTION}.threads is ${JSON.stringify(value)}; use "auto" or an integer from 1 to ${MAX_THREADS}.`, `${SECTION}.threads`);
  return threads;
}

/** `samplingLab.limits.*`: the largest files a prompt test suite may name. */
export interface FileLimitSettings {
  promptFileBytes: number;
  schemaFileBytes: number;
}

export function readFileLimits(config: SettingsSource = vscode.workspace.getConfiguration(SECTION)): FileLimitSettings {
  const limit = (key: string, fallback: number): number => {
    const v = config.get<unknown>(key, fallback);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new SettingsError(`${SECTION}.${key} must be a whole number of bytes ≥ 1 (got ${JSON.stringify(v)}); the default is ${fallback}.`, `${SECTION}.${key}`);
    }
    return v;
  };
  return { promptFileBytes: limit('limits.promptFileBytes', FILE_LIMITS.promptFileBytes), schemaFileBytes: limit('limits.schemaFileBytes', FILE_LIMITS.schemaFileBytes) };
}

export function readRiskSettings(config: SettingsSource = vscode.workspace.getConfiguration(SECTION)): RiskSettings {
  const samples = integerSetting(config, 'risk.samples', 8, ' Self-consistency compares samples with each other, so it needs at least 2.');
  const temperature = config.get<unknown>('risk.temperature', 1);
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature <= 0 || temperature > MAX_RISK_TEMPERATURE) {
    throw new SettingsError(
      `${SECTION}.risk.temperature must be a number above 0 and at most ${MAX_RISK_TEMPERATURE} (got ${JSON.stringify(temperature)}). ` +
        'At 0 every sample is the greedy answer, so they cannot disagree.',
      `${SECTION}.risk.temperature`,
    );
  }
  return { samples, temperature };
}

function booleanSetting(config: SettingsSource, key: string, fallback: boolean): boolean {
  const value = config.get<unknown>(key, fallback);
  if (typeof value !== 'boolean') {
    throw new SettingsError(`${SECTION}.${key} must be true or false (got ${JSON.stringify(value)}).`, `${SECTION}.${key}`);
  }
  return value;
}

function integerSetting(config: SettingsSource, key: keyof typeof LIMITS, fallback: number, why = ''): number {
  const value = config.get<unknown>(key, fallback);
  const { min, max } = LIMITS[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new SettingsError(
      `${SECTION}.${key} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)}).${why}`,
      `${SECTION}.${key}`,
    );
  }
  return value;
}

/** How long a written setting may take to reach this extension host before we go on regardless. */
const SETTING_VISIBLE_TIMEOUT_MS = 10_000;

/**
 * Writes a setting (user settings unless `target` says otherwise) and resolves once this
 * extension host reads the new value there. `update()` resolves when the settings file is
 * written; the change event (and with it what `getConfiguration` returns here) may come later. A
 * command that writes a setting and then acts on the settings must wait for it, or it acts on the
 * old value and the late change event undoes its work (Select Model loaded the old model, then
 * released it).
 */
export async function updateSetting(key: string, value: unknown, target: vscode.ConfigurationTarget = vscode.ConfigurationTarget.Global): Promise<void> {
  const written = () => {
    const inspected = vscode.workspace.getConfiguration(SECTION).inspect(key);
    return target === vscode.ConfigurationTarget.Global ? inspected?.globalValue : inspected?.workspaceValue;
  };
  const visible = () => JSON.stringify(written()) === JSON.stringify(value);
  let sub: vscode.Disposable | undefined;
  let timer: NodeJS.Timeout | undefined;
  const seen = new Promise<void>((resolve) => {
    sub = vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(`${SECTION}.${key}`) && visible() && resolve());
    timer = setTimeout(resolve, SETTING_VISIBLE_TIMEOUT_MS);
  });
  try {
    await vscode.workspace.getConfiguration(SECTION).update(key, value, target);
    if (!visible()) await seen;
  } finally {
    sub?.dispose();
    clearTimeout(timer);
  }
}

/** The run's chat / raw choice and system message as an engine takes them: undefined, the engine's default, when neither is set. */
export function runPromptFormat(options: RunOptions): Pick<RunOptions, 'chat' | 'system'> | undefined {
  const format = promptFormatOf(options);
  return Object.keys(format).length > 0 ? format : undefined;
}

/** The prompt-format fields of run options (chat, system), only those that are set. */
export function promptFormatOf(options: RunOptions): Pick<RunOptions, 'chat' | 'system'> {
  return { ...(options.chat !== undefined ? { chat: options.chat } : {}), ...(options.system !== undefined ? { system: options.system } : {}) };
}
