/**
 * The response cache: a finished run's result (and its risk reports) by everything that decides
 * its tokens. Kept in memory and in workspace storage, newest first, capped in entries and bytes.
 *
 * Why a cached result is the right answer and not a stale one: every sequence is seeded (sample
 * i of a prompt uses sequenceSeed(seed, prompt, i), core/sampling/rng.ts), so the same prompt, model, device,
 * strategies, samples, length and seed give the same tokens. That is also what makes a risk check
 * reproducible. The key therefore holds all of them; change any and the run is new.
 */
import { createHash } from 'node:crypto';
import type * as vscode from 'vscode';
import type { Strategy } from '../core/decode/types';
import type { CachedResponse, DevicePreference, RunKind, RunOptions } from '../protocol/messages';
import { validateCachedResponses } from '../protocol/validate';

const KEY = 'samplingLab.responseCache';
/** Enough for the prompts of a working session; the oldest drop off first. */
export const MAX_CACHED_RUNS = 32;
/** Workspace storage is not meant for bulk data: about 2 MB of JSON at most. */
export const MAX_CACHE_BYTES = 2_000_000;

/** What decides a run's tokens. */
export interface CacheKeyParts {
  kind: RunKind;
  prompt: string;
  /** The model by content (its modelFingerprint), never the setting: a folder replaced in place is another model. */
  model: string;
  device: DevicePreference;
  strategies: readonly Strategy[];
  options: RunOptions;
}

export function responseCacheKey(parts: CacheKeyParts): string {
  const { kind, prompt, model, device, strategies, options } = parts;
  // 'seeds-v2': runs cached under the old seed + i rule drew other tokens, so they must miss.
  // The prompt format changes what the model reads; added only when set, so other keys stay as they were.
  const format = options.chat !== undefined || options.system !== undefined ? [{ chat: options.chat ?? null, system: options.system ?? null }] : [];
  // Stop strings end completions early; likewise added only when there are some.
  const stops = options.stopStrings?.length ? [{ stop: options.stopStrings }] : [];
  const canonical = JSON.stringify(['seeds-v2', kind, prompt, model, device, strategies, options.samples, options.maxNewTokens, options.seed, ...format, ...stops]);
  return createHash('sha256').update(canonical).digest('hex');
}

export class ResponseCache {
  private entries: CachedResponse[];

  constructor(
    private readonly storage: vscode.Memento,
    log: vscode.LogOutputChannel,
  ) {
    const checked = validateCachedResponses(storage.get<unknown>(KEY, []));
    if (!checked.ok) log.warn(`Ignoring an unreadable response cache (${checked.error}).`);
    this.entries = checked.ok ? checked.message : [];
  }

  get size(): number {
    return this.entries.length;
  }

  get(key: string): CachedResponse | undefined {
    return this.entries.find((e) => e.key === key);
  }

  async set(entry: CachedResponse): Promise<void> {
    const kept = [entry, ...this.entries.filter((e) => e.key !== entry.key)].slice(0, MAX_CACHED_RUNS);
    let bytes = 0;
    this.entries = kept.filter((e) => (bytes += JSON.stringify(e).length) <= MAX_CACHE_BYTES);
    await this.storage.update(KEY, this.entries);
  }

  async clear(): Promise<void> {
    this.entries = [];
    await this.storage.update(KEY, this.entries);
  }
}
