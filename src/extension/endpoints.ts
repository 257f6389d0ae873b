/**
 * The endpoints a user has set up (`samplingLab.endpoints`), their API keys, and the engines
 * opened on them for runs in the extension host. Workspace Trust: endpoints are read from user
 * settings only, and `samplingLab.model: "endpoint:NAME"` selects one only when user settings say
 * so, so a repository can neither add, select nor redirect an endpoint, and a prompt goes to a
 * server only when the user chose it. Keys live in SecretStorage (or an environment variable the
 * endpoint names): never in settings, logs, history or caches.
 */
import * as vscode from 'vscode';
import type { Engine } from '../core/engine/types';
import { ENDPOINT_PREFIX } from '../core/prompttest';
// The remote engine's folder only: the local one would bundle transformers.js into the extension host,
// where the model never runs (it runs in the panel's worker).
import '../node/engines/remote/main';
import { createEngine } from '../node/engines/registry';
import { isDialectChoice, isInsecureRemote, normalizeBaseUrl, type DialectChoice } from '../node/engines/remote/dialects';
import { RemoteAbortedError, RemoteError } from '../node/engines/remote/http';
import type { RemoteEngineSpec } from '../node/engines/remote/main';
import { RemoteEngine } from '../node/engines/remote/remoteEngine';
import { SECTION, SettingsError } from './settings';

/** `samplingLab.model` values that name an endpoint, as prompt tests' `model: endpoint:NAME` does (one spelling, the suite parser's). */
export { ENDPOINT_PREFIX };

export interface EndpointSetting {
  name: string;
  baseUrl: string;
  model: string;
  dialect: DialectChoice;
  apiKeyEnv?: string;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The endpoint name a model setting names, or undefined for a local model. */
export function endpointName(model: string): string | undefined {
  return model.startsWith(ENDPOINT_PREFIX) ? model.slice(ENDPOINT_PREFIX.length).trim() : undefined;
}

/** Checks one entry of `samplingLab.endpoints`; `at` names it in the error ("samplingLab.endpoints[2]"). */
export function parseEndpoint(value: unknown, at: string): EndpointSetting {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SettingsError(`${at} must be an object { name, baseUrl, model, dialect }.`, at);
  const e = value as Record<string, unknown>;
  const text = (key: string) => {
    const v = e[key];
    if (typeof v !== 'string' || v.trim() === '') throw new SettingsError(`${at}.${key} must be a non-empty string.`, `${at}.${key}`);
    return v.trim();
  };
  const name = text('name');
  if (name.includes(':')) throw new SettingsError(`${at}.name must not contain ":" (got "${name}").`, `${at}.name`);
  const baseUrl = text('baseUrl');
  try {
    normalizeBaseUrl(baseUrl);
  } catch (err) {
    throw new SettingsError(`${at}.baseUrl: ${(err as Error).message.replace(/^--endpoint /, '')}`, `${at}.baseUrl`);
  }
  const dialect = e.dialect ?? 'auto';
  if (typeof dialect !== 'string' || !isDialectChoice(dialect)) throw new SettingsError(`${at}.dialect must be auto, openai, vllm, llamacpp, ollama or lmstudio (got ${JSON.stringify(dialect)}).`, `${at}.dialect`);
  const apiKeyEnv = e.apiKeyEnv;
  if (apiKeyEnv !== undefined && (typeof apiKeyEnv !== 'string' || !ENV_NAME.test(apiKeyEnv))) {
    throw new SettingsError(`${at}.apiKeyEnv must be an environment variable name like MY_KEY (got ${JSON.stringify(apiKeyEnv)}).`, `${at}.apiKeyEnv`);
  }
  return { name, baseUrl, model: text('model'), dialect, ...(apiKeyEnv !== undefined ? { apiKeyEnv } : {}) };
}

/**
 * `samplingLab.endpoints` from user settings only. The setting's scope is `application`, so VS
 * Code already ignores it in workspace settings; reading `globalValue` makes that hold here too,
 * whatever the editor does.
 */
export function readEndpoints(): EndpointSetting[] {
  const raw = vscode.workspace.getConfiguration(SECTION).inspect<unknown>('endpoints')?.globalValue ?? [];
  if (!Array.isArray(raw)) throw new SettingsError(`${SECTION}.endpoints must be a list of { name, baseUrl, model, dialect }.`, `${SECTION}.endpoints`);
  return raw.map((e, i) => parseEndpoint(e, `${SECTION}.endpoints[${i}]`));
}

/**
 * The endpoint `model` (the effective `samplingLab.model`) selects, or undefined for a local
 * model. Only the user's own settings may select one: a workspace value naming an endpoint is
 * refused, saying so.
 */
export function selectedEndpoint(model: string): EndpointSetting | undefined {
  const name = endpointName(model);
  if (name === undefined) return undefined;
  const inspected = vscode.workspace.getConfiguration(SECTION).inspect<string>('model');
  if ([inspected?.workspaceValue, inspected?.workspaceFolderValue].some((v) => typeof v === 'string' && v.trim() === model)) {
    throw new SettingsError(
      `This workspace's settings set ${SECTION}.model to "${model}": a workspace cannot select an endpoint (the prompt would go to a server you did not choose). ` +
        'Pick the endpoint with Sampling Lab: Select Model… (it goes to your user settings), or remove the value from the workspace settings.',
      `${SECTION}.model`,
    );
  }
  const endpoint = readEndpoints().find((e) => e.name === name);
  if (!endpoint) {
    throw new SettingsError(`${SECTION}.model names endpoint "${name}", which your user settings' ${SECTION}.endpoints do not list. Add it with Sampling Lab: Add Endpoint…`, `${SECTION}.model`);
  }
  return endpoint;
}

/**
 * Where an endpoint's key is kept in SecretStorage: by name and origin, so an endpoint whose
 * base URL is later pointed at another server does not take the key there.
 */
export function secretKeyOf(endpoint: Pick<EndpointSetting, 'name' | 'baseUrl'>): string {
  return `samplingLab.endpointKey:${normalizeBaseUrl(endpoint.baseUrl).origin}|${endpoint.name}`;
}

export function endpointConcurrency(): number {
  const v = vscode.workspace.getConfiguration(SECTION).inspect<unknown>('endpointConcurrency')?.globalValue ?? 4;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 256) {
    throw new SettingsError(`${SECTION}.endpointConcurrency must be an integer from 1 to 256 (got ${JSON.stringify(v)}).`, `${SECTION}.endpointConcurrency`);
  }
  return v;
}

/** The warning for plain http to another machine, or undefined. */
export function insecureWarning(baseUrl: string, withKey: boolean): string | undefined {
  const url = normalizeBaseUrl(baseUrl);
  if (!isInsecureRemote(url)) return undefined;
  return `${url.origin} is plain http:// to another machine: the prompts${withKey ? ' and the API key' : ''} travel unencrypted. Use https:// where the server offers it.`;
}

/**
 * Fails when the server cannot be reached at all, so a dialect is never guessed (and kept) from a
 * server that was down: `auto` falls back to the OpenAI subset when /v1/models does not answer.
 * A server that answers, even with an error (no /v1/models, a key needed), is reachable.
 */
async function reachable(spec: RemoteEngineSpec, signal: AbortSignal | undefined): Promise<void> {
  try {
    await new RemoteEngine({ endpoint: spec.endpoint, model: spec.model, apiKey: spec.apiKey }).listModels(signal);
  } catch (e) {
    if (e instanceof RemoteError && e.status === undefined) throw e;
    if (e instanceof RemoteAbortedError) throw e;
  }
}

/** Engines opened on endpoints, one per endpoint setting and key, kept while they stay the same. */
export class EndpointEngines implements vscode.Disposable {
  private readonly engines = new Map<string, Promise<Engine>>();
  /** Origins already warned about this session (once is enough). */
  private readonly warned = new Set<string>();
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
  ) {
    // A changed endpoint list or key re-opens the engine (its dialect and key are fixed at open).
    this.subscription = vscode.Disposable.from(
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(`${SECTION}.endpoints`) && this.clear()),
      secrets.onDidChange((e) => e.key.startsWith('samplingLab.endpointKey:') && this.clear()),
    );
  }

  /** The key: SecretStorage first, then the environment variable the endpoint names. */
  async apiKey(endpoint: EndpointSetting): Promise<string | undefined> {
    const stored = await this.secrets.get(secretKeyOf(endpoint));
    if (stored) return stored;
    if (endpoint.apiKeyEnv) return process.env[endpoint.apiKeyEnv] || undefined;
    return undefined;
  }

  /** The engine for `endpoint`, opened (dialect resolved) once and shared by later runs. */
  async open(endpoint: EndpointSetting, signal?: AbortSignal): Promise<Engine> {
    const apiKey = await this.apiKey(endpoint);
    const warning = insecureWarning(endpoint.baseUrl, apiKey !== undefined);
    const origin = normalizeBaseUrl(endpoint.baseUrl).origin;
    if (warning && !this.warned.has(origin)) {
      this.warned.add(origin);
      this.log.warn(`Endpoint ${endpoint.name}: ${warning}`);
      void vscode.window.showWarningMessage(`Sampling Lab: endpoint ${endpoint.name}: ${warning}`);
    }
    const id = JSON.stringify([endpoint, endpointConcurrency(), apiKey !== undefined]);
    let engine = this.engines.get(id);
    if (!engine) {
      const spec: RemoteEngineSpec = { kind: 'remote', endpoint: endpoint.baseUrl, model: endpoint.model, dialect: endpoint.dialect, apiKey, concurrency: endpointConcurrency() };
      engine = reachable(spec, signal).then(() => createEngine(spec, { signal }));
      this.engines.set(id, engine);
      // A failed open (server down) is not kept: the next run tries again.
      engine.catch(() => this.engines.get(id) === engine && this.engines.delete(id));
      this.log.info(`Opening endpoint ${endpoint.name}: ${endpoint.model} at ${normalizeBaseUrl(endpoint.baseUrl).href} (dialect ${endpoint.dialect}${apiKey ? ', with an API key' : ''}).`);
    }
    return engine;
  }

  private clear(): void {
    for (const engine of this.engines.values()) void engine.then((e) => e.dispose()).catch(() => undefined);
    this.engines.clear();
  }

  dispose(): void {
    this.clear();
    this.subscription.dispose();
  }
}
