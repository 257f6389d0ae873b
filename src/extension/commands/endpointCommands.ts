/**
 * "Sampling Lab: Add Endpoint…" (a base URL, the server's models from GET /v1/models to pick
 * from, a name; written to user settings) and "Sampling Lab: Set API Key for Endpoint…" (kept in
 * SecretStorage only, never in settings).
 */
import * as vscode from 'vscode';
import { abortSignalOf } from '../requests';
import { normalizeBaseUrl, type DialectChoice } from '../../node/engines/remote/dialects';
import { RemoteEngine } from '../../node/engines/remote/remoteEngine';
import { ENDPOINT_PREFIX, insecureWarning, readEndpoints, secretKeyOf, type EndpointSetting } from '../endpoints';
import { updateSetting } from '../settings';

export interface AddEndpointArgs {
  /** Skip the prompts (tests): each one given is not asked. */
  baseUrl?: string;
  model?: string;
  name?: string;
  dialect?: DialectChoice;
  apiKeyEnv?: string;
  /** Also make it the model (`samplingLab.model: endpoint:NAME`). */
  select?: boolean;
}

export interface SetEndpointKeyArgs {
  name?: string;
  /** The key (tests); empty removes the stored key. */
  key?: string;
}

/** Adds (or replaces, by name) an endpoint in user settings; returns it, or undefined when cancelled. */
export async function addEndpoint(log: vscode.LogOutputChannel, args: AddEndpointArgs = {}): Promise<EndpointSetting | undefined> {
  const baseUrl =
    args.baseUrl ??
    (await vscode.window.showInputBox({
      title: 'Sampling Lab: Add Endpoint (1/3): the server',
      prompt: 'The base URL of an OpenAI-compatible server (vLLM, llama.cpp server, Ollama, LM Studio, OpenAI), with or without /v1.',
      placeHolder: 'http://localhost:8000',
      ignoreFocusOut: true,
      validateInput: (text) => {
        try {
          normalizeBaseUrl(text);
          const warning = insecureWarning(text, false);
          return warning ? { message: warning, severity: vscode.InputBoxValidationSeverity.Warning } : undefined;
        } catch (e) {
          return (e as Error).message.replace(/^--endpoint /, 'The URL ');
        }
      },
    }));
  if (baseUrl === undefined) return undefined;
  const base = normalizeBaseUrl(baseUrl);
  const warning = insecureWarning(baseUrl, true);
  if (warning) {
    log.warn(`Add Endpoint: ${warning}`);
    if (args.baseUrl === undefined) {
      const go = await vscode.window.showWarningMessage(`Sampling Lab: ${warning}`, { modal: true }, 'Add Anyway');
      if (go !== 'Add Anyway') return undefined;
    }
  }
  const model = args.model ?? (await pickServerModel(base.href, args.dialect, log));
  if (model === undefined) return undefined;
  const taken = new Set(readEndpoints().map((e) => e.name));
  const suggested = model.split('/').pop()!.replace(/:/g, '-') || 'server';
  const name =
    args.name ??
    (await vscode.window.showInputBox({
      title: 'Sampling Lab: Add Endpoint (3/3): a name',
      prompt: `How Select Model shows it (Endpoint: NAME) and prompt tests name it (model: endpoint:NAME). ${base.host} serves ${model}.`,
      value: taken.has(suggested) ? `${suggested}@${base.host}`.replace(/:/g, '-') : suggested,
      ignoreFocusOut: true,
      validateInput: (text) => (text.trim() === '' ? 'Give it a name.' : text.includes(':') ? 'A name cannot contain ":".' : taken.has(text.trim()) ? `An endpoint named "${text.trim()}" exists: this replaces it.` : undefined),
    }));
  if (name === undefined) return undefined;
  const endpoint: EndpointSetting = { name: name.trim(), baseUrl: baseUrl.trim(), model, dialect: args.dialect ?? 'auto', ...(args.apiKeyEnv ? { apiKeyEnv: args.apiKeyEnv } : {}) };
  const raw = vscode.workspace.getConfiguration('samplingLab').inspect<unknown[]>('endpoints')?.globalValue;
  const others = (Array.isArray(raw) ? raw : []).filter((e) => (e as { name?: unknown })?.name !== endpoint.name);
  await updateSetting('endpoints', [...others, endpoint]);
  log.info(`Added endpoint ${endpoint.name}: ${model} at ${base.href}.`);
  if (args.select) await updateSetting('model', `${ENDPOINT_PREFIX}${endpoint.name}`);
  else if (args.baseUrl === undefined) {
    void vscode.window.showInformationMessage(`Sampling Lab: endpoint ${endpoint.name} added.`, 'Use It Now', 'Set API Key…').then(async (choice) => {
      if (choice === 'Use It Now') await vscode.commands.executeCommand('samplingLab.selectModel', { model: `${ENDPOINT_PREFIX}${endpoint.name}` });
      if (choice === 'Set API Key…') await vscode.commands.executeCommand('samplingLab.setEndpointApiKey', { name: endpoint.name });
    });
  }
  return endpoint;
}

/** The server's models to pick from; when it will not list them (no /v1/models, a key needed), the id typed in. */
async function pickServerModel(baseUrl: string, dialect: DialectChoice | undefined, log: vscode.LogOutputChannel): Promise<string | undefined> {
  let ids: string[] = [];
  let why = '';
  try {
    ids = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Sampling Lab: asking ${baseUrl} for its models`, cancellable: true }, async (_, token) => {
      const abort = abortSignalOf(token);
      try {
        // No key: it is stored by name, which comes next, and no other key goes to a server not yet chosen. One that needs a key says 401.
        return await new RemoteEngine({ endpoint: baseUrl, model: '', dialect }).listModels(abort.signal);
      } finally {
        abort.dispose();
      }
    });
  } catch (e) {
    why = (e as Error).message;
    log.warn(`Add Endpoint: listing the models failed: ${why}`);
  }
  if (ids.length > 0) {
    const picked = await vscode.window.showQuickPick([...ids.map((id) => ({ label: id })), { label: '$(edit) Enter a model id…', enter: true }], {
      title: `Sampling Lab: Add Endpoint (2/3): ${ids.length} model${ids.length === 1 ? '' : 's'} served`,
      placeHolder: 'The model to run on',
      ignoreFocusOut: true,
    });
    if (!picked) return undefined;
    if (!('enter' in picked)) return picked.label;
  }
  return vscode.window.showInputBox({
    title: 'Sampling Lab: Add Endpoint (2/3): the model id',
    prompt: why ? `The server did not list its models (${why}). Type the id it serves.` : 'The model id the server serves.',
    ignoreFocusOut: true,
    validateInput: (text) => (text.trim() ? undefined : 'Give the model id.'),
  });
}

/** Stores (or, with an empty key, removes) an endpoint's API key in SecretStorage. */
export async function setEndpointApiKey(secrets: vscode.SecretStorage, log: vscode.LogOutputChannel, args: SetEndpointKeyArgs = {}): Promise<boolean> {
  const endpoints = readEndpoints();
  if (endpoints.length === 0) throw new Error('Sampling Lab: no endpoints yet. Add one with Sampling Lab: Add Endpoint… first.');
  const name =
    args.name ??
    (await vscode.window.showQuickPick(endpoints.map((e) => ({ label: e.name, description: `${e.model} at ${e.baseUrl}` })), { title: 'Sampling Lab: Set API Key for Endpoint', placeHolder: 'Which endpoint' }))?.label;
  if (name === undefined) return false;
  const endpoint = endpoints.find((e) => e.name === name);
  if (!endpoint) throw new Error(`Sampling Lab: no endpoint named "${name}" in your user settings' samplingLab.endpoints.`);
  const key =
    args.key ??
    (await vscode.window.showInputBox({
      title: `Sampling Lab: API key for ${endpoint.name}`,
      prompt: `Sent only to ${normalizeBaseUrl(endpoint.baseUrl).origin} as a bearer token, and kept in the editor's secret storage (never in settings). Leave empty to remove the stored key.`,
      password: true,
      ignoreFocusOut: true,
    }));
  if (key === undefined) return false;
  if (key.trim() === '') {
    await secrets.delete(secretKeyOf(endpoint));
    log.info(`Removed the stored API key of endpoint ${endpoint.name}.`);
  } else {
    await secrets.store(secretKeyOf(endpoint), key.trim());
    // The key itself is never logged.
    log.info(`Stored an API key for endpoint ${endpoint.name} in secret storage.`);
  }
  return true;
}
