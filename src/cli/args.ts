/** Command-line parsing for `sampling-lab`, with errors that name the flag and its range. */
import { defaultStrategySettings, kindFromName, STRATEGY_KINDS, StrategyError, strategyFromSettings, type StrategySettings } from '../core/decode/strategies';
import type { Strategy } from '../core/decode/types';
import { decodeEscapes } from '../core/decode/runInputs';
import { type ModelArgs, deviceFlag, dtypeFlag, threadsFlag, flagOfSetting, integer, MODEL_USAGE, parseFlags, promptFormatFlags, SAMPLER_OPTIONS, samplerFlagsHelp, samplerSettingsFromFlags } from './flags';
import { UsageError } from './usageError';
import { endpointArgs, ENDPOINT_OPTIONS, ENDPOINT_USAGE, type EndpointArgs } from './endpoint';

export { UsageError };

export const USAGE = `Usage: sampling-lab compare [options] "<prompt>"
       sampling-lab compare --file prompt.txt
       echo "<prompt>" | sampling-lab compare
       sampling-lab json --schema person.schema.json "<prompt>"   (sampling-lab json --help)
       sampling-lab explore "<prompt>" --step K                   (sampling-lab explore --help)
       sampling-lab anatomy [--model M] [--json]
       sampling-lab test [glob] [--junit out.xml] [--no-cache]    (sampling-lab test --help)
       sampling-lab prefs [--export out.csv]                      (sampling-lab prefs --help)
       sampling-lab risk "<prompt>" [--fail-above X]              (sampling-lab risk --help)
       sampling-lab risk calibrate labelled.jsonl
       sampling-lab models list | pull <id> | rm <id> | gguf      (sampling-lab models --help)

Compares decoding strategies on one prompt with a local model.

Options:
  --strategies LIST   comma-separated: greedy,temperature,top-k,top-p,min-p,best-of-n
                      (default: all six)
  --samples N         sequences per sampling strategy (default 1)
  --candidates N      best-of-N's N (default 4)
  --seed N            base seed; sample i of the prompt draws from a seed hashed from
                      (seed, prompt, i), the per-completion seed printed (default 42)
  --max-tokens N      new tokens per sequence (default 32)
  --stop S            stop string (repeatable); "\\n" is a newline
${MODEL_USAGE}
${ENDPOINT_USAGE}
  --sequential        decode each sequence alone instead of in one batch
  --json              machine-readable output
  --file F            read the prompt from a file
  -h, --help          this help

Sampler stages (one flag per parameter; --top-k, --top-p and --min-p override their own preset,
every other flag applies to every sampling strategy; docs/samplers.md describes each stage):
${samplerFlagsHelp()}`;

export interface CompareArgs extends ModelArgs {
  prompt?: string;
  file?: string;
  strategies: Strategy[];
  samples: number;
  stopStrings: string[];
  batch: boolean;
  /** Run on an OpenAI-compatible server instead of a local model. */
  endpoint?: EndpointArgs;
}



export function parseCompareArgs(argv: string[]): CompareArgs | 'help' {
  const parsed = parseFlags(
    argv,
    {
      strategies: { type: 'string' },
      samples: { type: 'string' },
      candidates: { type: 'string' },
      seed: { type: 'string' },
      'max-tokens': { type: 'string' },
      ...SAMPLER_OPTIONS,
      stop: { type: 'string', multiple: true },
      model: { type: 'string' },
      device: { type: 'string' },
      dtype: { type: 'string' },
      threads: { type: 'string' },
      chat: { type: 'boolean' },
      raw: { type: 'boolean' },
      system: { type: 'string' },
      sequential: { type: 'boolean' },
      json: { type: 'boolean' },
      file: { type: 'string' },
      ...ENDPOINT_OPTIONS,
      help: { type: 'boolean', short: 'h' },
    },
    USAGE,
    { negatives: true },
  );
  const v = parsed.values;
  if (v.help) return 'help';
  const device = deviceFlag(v.device);
  const overrides: Partial<StrategySettings> = {
    ...samplerSettingsFromFlags(v),
    candidates: v.candidates === undefined ? undefined : integer('--candidates', v.candidates as string, 4, 1, 64),
  };
  const settings = v.strategies === undefined ? defaultStrategySettings() : v.strategies.split(',').filter((s) => s.trim()).map((name) => {
    const kind = kindFromName(name);
    if (!kind || kind === 'custom') {
      throw new UsageError(`Unknown strategy "${name.trim()}". Use one of: greedy, temperature, top-k, top-p, min-p, best-of-n.`);
    }
    return { kind };
  });
  if (settings.length === 0) throw new UsageError(`--strategies is empty. Use one or more of: ${STRATEGY_KINDS.filter((k) => k !== 'custom').join(', ')}.`);
  const strategies = settings.map((s) => {
    const merged: Record<string, unknown> = { ...s };
    for (const [key, value] of Object.entries(overrides)) {
      // An override applies where the preset uses that parameter (temperature: all sampling presets).
      if (value !== undefined && (key !== 'temperature' || s.kind !== 'greedy') && applies(s.kind, key)) merged[key] = value;
    }
    try {
      return strategyFromSettings(merged, s.kind);
    } catch (e) {
      if (e instanceof StrategyError) {
        const field = e.setting.split('.').pop() ?? '';
        throw new UsageError(e.message.replace(`${s.kind}.${field}`, field === 'candidates' ? '--candidates' : (flagOfSetting(field) ?? field)));
      }
      throw e;
    }
  });
  return {
    prompt: parsed.positionals.length > 0 ? parsed.positionals.join(' ') : undefined,
    file: v.file,
    strategies,
    samples: integer('--samples', v.samples, 1, 1, 64),
    seed: integer('--seed', v.seed, 42, 0, 0xffffffff),
    maxNewTokens: integer('--max-tokens', v['max-tokens'], 32, 1, 4096),
    stopStrings: (v.stop ?? []).map(decodeEscapes),
    model: v.model,
    device,
    dtype: dtypeFlag(v.dtype),
    threads: threadsFlag(v.threads),
    format: promptFormatFlags(v),
    json: v.json ?? false,
    batch: !v.sequential,
    endpoint: endpointArgs(v),
  };
}

/**
 * Where a flag applies: --top-k / --top-p / --min-p / --candidates only to the preset they
 * define (so the six-way comparison stays six different strategies); T and every other stage
 * flag to every sampling strategy.
 */
const PRESET_OWN: Record<string, string> = { topK: 'top_k', topP: 'top_p', minP: 'min_p', candidates: 'best_of_n' };

function applies(kind: string, key: string): boolean {
  return PRESET_OWN[key] === undefined || PRESET_OWN[key] === kind;
}
