/** Flag parsing shared by every sampling-lab command: errors name the flag and its range, and a bad flag shows the command's usage. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { NODE_BACKENDS, type NodeBackend } from '../core/model/backends';
import { DTYPES, isDtype, type DtypeChoice } from '../core/model/hubModel';
import { MAX_THREADS, parseThreads, type ThreadsChoice } from '../core/model/threads';
import type { PromptFormat } from '../core/model/promptFormat';
import { parseBiasEntry } from '../core/sampling/logitBias';
import { textsItem } from '../core/sampling/paramText';
import { allParams } from '../core/sampling/registry';
import type { ParamSpec } from '../core/sampling/stage';
import { UsageError } from './usageError';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util's parseArgs with the rules every command shares: an unknown or malformed flag is a
 * UsageError followed by the command's usage, and `negatives` lets "--top-k -1" reach the range
 * check instead of reading "-1" as a flag.
 */
export function parseFlags<const O extends Options>(argv: readonly string[], options: O, usage: string, rules: { negatives?: boolean; positionals?: boolean } = {}): ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: boolean; options: O }>> {
  try {
    return parseArgs({ args: rules.negatives ? joinNegativeValues(argv) : [...argv], allowPositionals: rules.positionals ?? true, options });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n\n${usage}`);
  }
}

/** The prompt given as words after the flags, with a typed "\n" read as a line break; a usage error when there is none. */
export function promptArgument(positionals: readonly string[], usage: string): string {
  const prompt = positionals.join(' ').replace(/\\n/g, '\n');
  if (prompt.trim() === '') throw new UsageError(`No prompt given.\n\n${usage}`);
  return prompt;
}

/** node:util's parseArgs reads "-1" as a flag; join "--flag -1" into "--flag=-1" so a negative value gets a range message. */
export function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (arg.startsWith('--') && !arg.includes('=') && next !== undefined && /^-\d|^-\.\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}


export function integer(flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be an integer in [${min}, ${max}] (got "${value}").`);
  }
  return n;
}

export function real(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} must be a number (got "${value}").`);
  return n;
}

/**
 * The sampler flags every model-running command takes, one per stage parameter in the registry
 * (--top-k, --typical-p, --dry-multiplier, --logit-bias, …, --min-keep), as parseArgs options.
 * Text and bias parameters repeat (--dry-sequence-breaker "\n" --dry-sequence-breaker ":").
 */
export const SAMPLER_OPTIONS: Record<string, { type: 'string'; multiple?: boolean }> = Object.fromEntries(
  allParams().map(({ param }) => [param.flag.slice(2), param.kind === 'number' ? { type: 'string' } : { type: 'string', multiple: true }]),
);

/** The flag that sets a strategy setting ("topP" → "--top-p"), for error messages. */
export function flagOfSetting(setting: string): string | undefined {
  return allParams().find(({ param }) => param.setting === setting)?.param.flag;
}

/** The sampler flags given, as strategy settings ({ "--top-p": "0.9" } → { topP: 0.9 }). */
export function samplerSettingsFromFlags(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { param } of allParams()) {
    const value = values[param.flag.slice(2)];
    if (value === undefined) continue;
    out[param.setting] = flagValue(param, value);
  }
  return out;
}

function flagValue(param: ParamSpec, value: unknown): unknown {
  switch (param.kind) {
    case 'number':
      return real(param.flag, value as string);
    case 'texts':
      return (value as string[]).map(textsItem);
    case 'bias': {
      const bias: Record<string, number | false> = {};
      for (const item of value as string[]) {
        const entry = parseBiasEntry(item);
        if (!entry) throw new UsageError(`${param.flag} takes TOKEN=BIAS (a token id or a text, and a number or "ban"), or llama.cpp's ID+BIAS / ID-BIAS (got "${item}").`);
        bias[entry[0]] = entry[1];
      }
      return bias;
    }
  }
}

/** The sampler flags' lines for --help, laid out like the rest of the table. */
export function samplerFlagsHelp(): string {
  return allParams()
    .map(({ param }) => {
      const meta = param.kind === 'number' ? (param.integer ? 'N' : 'X') : param.kind === 'texts' ? 'S' : 'T=B';
      const left = `  ${param.flag} ${meta} `;
      const repeat = param.kind === 'number' ? '' : ' (repeatable)';
      return `${left.padEnd(26)}${param.help}${repeat}`;
    })
    .join('\n');
}

/** What MODEL_OPTIONS parse to, in every model-running command's arguments. */
export interface ModelArgs {
  seed: number;
  maxNewTokens: number;
  model?: string;
  device: NodeBackend;
  dtype: DtypeChoice;
  threads: ThreadsChoice;
  format: PromptFormat;
  json: boolean;
}

/** Where the model comes from and how output is printed, shared by every model-running command. */
export const MODEL_OPTIONS = {
  seed: { type: 'string' },
  'max-tokens': { type: 'string' },
  model: { type: 'string' },
  device: { type: 'string' },
  dtype: { type: 'string' },
  threads: { type: 'string' },
  chat: { type: 'boolean' },
  raw: { type: 'boolean' },
  system: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** --device: the Node backends; WebGPU only runs in the panel. */
export function deviceFlag(value: string | undefined): NodeBackend {
  const device = value ?? 'cpu';
  if (!(NODE_BACKENDS as readonly string[]).includes(device)) {
    throw new UsageError(`--device must be ${NODE_BACKENDS.join(' or ')} (got "${device}"). WebGPU runs in the VS Code panel.`);
  }
  return device as NodeBackend;
}

/** --dtype: which weights to load (auto picks per device; fp32 for the bundled model, which also ships q8). */
export function dtypeFlag(value: string | undefined): DtypeChoice {
  const dtype = value ?? 'auto';
  if (dtype !== 'auto' && !isDtype(dtype)) throw new UsageError(`--dtype must be auto or one of ${DTYPES.join(', ')} (got "${dtype}").`);
  return dtype;
}

/** --threads: onnxruntime-node's threads, auto (physical cores, one fewer when the machine is busy) or N. */
export function threadsFlag(value: string | undefined): ThreadsChoice {
  const threads = parseThreads(value ?? 'auto');
  if (threads === undefined) throw new UsageError(`--threads must be auto or an integer in [1, ${MAX_THREADS}] (got "${value}").`);
  return threads;
}

/** The usage lines of --model, --device and --dtype, the same in every command. */
export const MODEL_USAGE = `  --model M           the bundled facts-lm, a model folder, or a hub id owner/name[@revision]
                      (downloaded once into the Hugging Face cache; see sampling-lab models),
                      or a .gguf file, run by llama.cpp (sampling-lab models gguf lists yours)
  --device D          cpu or wasm (default cpu)
  --dtype T           auto, ${DTYPES.join(', ')} (default auto: q8 when the repository has it,
                      fp32 for the bundled facts-lm, which also ships q8 and q4)
  --threads N         cpu threads: auto (default: the physical cores, one fewer when the
                      load average says the machine is busy) or a number
  --chat, --raw       render the prompt through the model's chat template, or send it as it is
                      (default: the template when the model has one)
  --system TEXT       a system message before the prompt (chat only)`;

/** --chat / --raw / --system as a PromptFormat; both toggles at once is a usage error. */
export function promptFormatFlags(v: { chat?: boolean; raw?: boolean; system?: string }): PromptFormat {
  if (v.chat && v.raw) throw new UsageError('Give --chat or --raw, not both.');
  if (v.raw && v.system !== undefined) throw new UsageError('--system needs the chat template; drop --raw.');
  return { chat: v.chat ? true : v.raw ? false : undefined, system: v.system };
}
