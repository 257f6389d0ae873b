/** Numeric flag parsing shared by every sampling-lab command: errors name the flag and its range. */
import { UsageError } from './usageError';

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

/** The sampler overrides every model-running command takes, as node:util parseArgs options. */
export const SAMPLER_OPTIONS = {
  temperature: { type: 'string' },
  'top-k': { type: 'string' },
  'top-p': { type: 'string' },
  'min-p': { type: 'string' },
} as const;

/** Where the model comes from and how output is printed, shared by every model-running command. */
export const MODEL_OPTIONS = {
  seed: { type: 'string' },
  'max-tokens': { type: 'string' },
  model: { type: 'string' },
  device: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** --device: the Node backends; WebGPU only runs in the panel. */
export function deviceFlag(value: string | undefined): 'cpu' | 'wasm' {
  const device = value ?? 'cpu';
  if (device !== 'cpu' && device !== 'wasm') {
    throw new UsageError(`--device must be cpu or wasm (got "${device}"). WebGPU runs in the VS Code panel.`);
  }
  return device;
}
