/**
 * Where the hub client talks to and stores things, read as Python's huggingface_hub reads them:
 * HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE / HF_HOME, HF_HUB_OFFLINE and HTTPS_PROXY / HTTP_PROXY /
 * NO_PROXY. Explicit overrides (the editor's settings, CLI flags) win over the environment.
 */
import * as os from 'node:os';
import * as path from 'node:path';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export interface HubConfig {
  /** Base URL without a trailing slash. */
  endpoint: string;
  /** The bearer token; kept out of every message and log line. */
  token?: string;
  /** The hub cache folder (holds models--owner--name/). */
  cacheDir: string;
  /** No network at all: only what the cache holds. */
  offline: boolean;
  /** A proxy URL for every request (VS Code's http.proxy); unset: HTTPS_PROXY / HTTP_PROXY / NO_PROXY. */
  proxy?: string;
}

export interface HubOverrides {
  endpoint?: string;
  token?: string;
  cacheDir?: string;
  offline?: boolean;
  proxy?: string;
}

/** huggingface_hub's truthy spellings for boolean variables ("1", "ON", "YES", "TRUE"). */
function truthy(value: string | undefined): boolean {
  return value !== undefined && ['1', 'on', 'yes', 'true'].includes(value.trim().toLowerCase());
}

function nonEmpty(value: string | undefined): string | undefined {
  return value && value.trim() ? value.trim() : undefined;
}

/** The cache folder huggingface_hub uses: HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = nonEmpty(env.HF_HUB_CACHE) ?? nonEmpty(env.HUGGINGFACE_HUB_CACHE);
  if (explicit) return path.resolve(expandHome(explicit));
  const home = nonEmpty(env.HF_HOME) ?? path.join(nonEmpty(env.XDG_CACHE_HOME) ?? path.join(os.homedir(), '.cache'), 'huggingface');
  return path.resolve(expandHome(home), 'hub');
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

export function hubConfig(overrides: HubOverrides = {}, env: NodeJS.ProcessEnv = process.env): HubConfig {
  const endpoint = (nonEmpty(overrides.endpoint) ?? nonEmpty(env.HF_ENDPOINT) ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/i.test(endpoint)) {
    throw new Error(`The hub endpoint "${endpoint}" is not an http(s) URL. Set HF_ENDPOINT or samplingLab.hub.endpoint to e.g. ${DEFAULT_ENDPOINT}.`);
  }
  return {
    endpoint,
    token: nonEmpty(overrides.token) ?? nonEmpty(env.HF_TOKEN) ?? nonEmpty(env.HUGGING_FACE_HUB_TOKEN),
    cacheDir: overrides.cacheDir ? path.resolve(expandHome(overrides.cacheDir)) : defaultCacheDir(env),
    offline: overrides.offline ?? (truthy(env.HF_HUB_OFFLINE) || truthy(env.TRANSFORMERS_OFFLINE)),
    proxy: nonEmpty(overrides.proxy),
  };
}
