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
