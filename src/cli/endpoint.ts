/**
 * --endpoint, --dialect, --api-key-env and --concurrency: run a command on an OpenAI-compatible
 * server through the engine registry. The key comes from the environment only (OPENAI_API_KEY, or
 * the variable --api-key-env names) and is never printed.
 */
import type { Engine } from '../core/engine/types';
import { createEngine } from '../node/engines';
import { DIALECT_CHOICES, isDialectChoice, isInsecureRemote, normalizeBaseUrl, type DialectChoice } from '../node/engines/remote/dialects';
import type { RemoteEngineSpec } from '../node/engines/remote/main';
import { RemoteEngine } from '../node/engines/remote/remoteEngine';
import { integer } from './flags';
import { UsageError } from './usageError';

export const ENDPOINT_OPTIONS = {
  endpoint: { type: 'string' },
  dialect: { type: 'string' },
  'api-key-env': { type: 'string' },
  concurrency: { type: 'string' },
} as const;

export const ENDPOINT_USAGE = `  --endpoint URL      an OpenAI-compatible server instead of a local model (vLLM, llama.cpp
                      server, Ollama, LM Studio, OpenAI), a base URL with or without /v1;
                      --model is then the server's model id; the server samples
  --dialect D         auto, ${DIALECT_CHOICES.filter((d) => d !== 'auto').join(', ')} (default auto: from the host, port and /v1/models)
  --api-key-env VAR   read the API key from $VAR (default: OPENAI_API_KEY when set)
  --concurrency N     requests in flight at once (default 4)`;

export interface EndpointArgs {
  endpoint: string;
  dialect: DialectChoice;
  apiKeyEnv?: string;
  concurrency: number;
}

/** Flags that choose how a local model loads and runs: a server runs its own model, so with --endpoint they would do nothing. */
const LOCAL_MODEL_FLAGS = ['device', 'dtype', 'threads'] as const;

/**
 * The endpoint flags given, or undefined for a local run. Either way round, a flag that cannot
 * apply is refused by name rather than silently ignored: --dialect and --api-key-env need
 * --endpoint, and --device, --dtype and --threads need a local model.
 */
export function endpointArgs(v: { endpoint?: string; dialect?: string; 'api-key-env'?: string; concurrency?: string; device?: string; dtype?: string; threads?: string }): EndpointArgs | undefined {
  if (v.endpoint === undefined) {
    for (const flag of ['dialect', 'api-key-env'] as const) if (v[flag] !== undefined) throw new UsageError(`--${flag} needs --endpoint URL.`);
    return undefined;
  }
  const local = LOCAL_MODEL_FLAGS.filter((flag) => v[flag] !== undefined).map((flag) => `--${flag}`);
  if (local.length > 0) {
    throw new UsageError(`${local.join(', ')} ${local.length === 1 ? 'sets' : 'set'} how a local model runs and ${local.length === 1 ? 'does' : 'do'} not apply with --endpoint: the server runs the model. Drop ${local.length === 1 ? 'it' : 'them'}, or drop --endpoint to run a local --model.`);
  }
  const dialect = v.dialect ?? 'auto';
  if (!isDialectChoice(dialect)) throw new UsageError(`--dialect must be one of ${DIALECT_CHOICES.join(', ')} (got "${dialect}").`);
  try {
    normalizeBaseUrl(v.endpoint);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (v['api-key-env'] !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v['api-key-env'])) throw new UsageError(`--api-key-env takes a variable name like MY_KEY (got "${v['api-key-env']}").`);
  return { endpoint: v.endpoint, dialect, apiKeyEnv: v['api-key-env'], concurrency: integer('--concurrency', v.concurrency, 4, 1, 256) };
}

/** The API key from the environment: the named variable (which must be set), else OPENAI_API_KEY if set. */
export function apiKeyFrom(args: EndpointArgs, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (args.apiKeyEnv !== undefined) {
    const key = env[args.apiKeyEnv];
    if (key === undefined || key === '') throw new UsageError(`--api-key-env ${args.apiKeyEnv}: the environment variable ${args.apiKeyEnv} is not set.`);
    return key;
  }
  return env.OPENAI_API_KEY || undefined;
}

/** Opens the server as an engine; without --model, says which models it serves. */
export async function openEndpoint(args: EndpointArgs, model: string | undefined, signal?: AbortSignal): Promise<Engine> {
  const apiKey = apiKeyFrom(args);
  const base = normalizeBaseUrl(args.endpoint);
  if (isInsecureRemote(base)) process.stderr.write(`warning: ${base.origin} is plain http to another machine: the prompt${apiKey ? ' and the API key' : ''} travel unencrypted. Use https.\n`);
  if (model === undefined) {
    const ids = await new RemoteEngine({ endpoint: args.endpoint, model: '', apiKey }).listModels(signal).catch(() => [] as string[]);
    throw new UsageError(`--endpoint needs --model, the server's model id${ids.length ? `: it serves ${ids.join(', ')}` : ''}.`);
  }
  const spec: RemoteEngineSpec = { kind: 'remote', endpoint: args.endpoint, model, dialect: args.dialect, apiKey, concurrency: args.concurrency };
  return createEngine(spec, { signal });
}
