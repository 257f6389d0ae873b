/**
 * "Sampling Lab: Select Model…": the bundled model, the hub models already in the cache (dtypes,
 * size on disk), a catalog of small models that run in transformers.js (parameters, download size
 * for the chosen dtype, licence, gated), the GGUF files LM Studio and Ollama keep (run by llama.cpp
 * in the extension host), "Enter a model id…", "Open a folder…" and "Open a GGUF file…". The pick is
 * written to `samplingLab.model` (user settings), the old model is released and the new one
 * loaded (a hub model is downloaded first), so a bad pick is reported now rather than on the next run.
 */
import * as vscode from 'vscode';
import { abortSignalOf } from '../requests';
import { chooseDtype, DTYPES, parseHubId } from '../../core/model/hubModel';
import { listCachedModels } from '../../node/hub/hubCache';
import { CATALOG } from '../../node/hub/catalog';
import { editorHubCacheDir } from '../hubSettings';
import type { ModelSession, LoadedModel } from '../modelSession';
import { BUNDLED_MODEL, resolveModelChoice } from '../modelChoice';
import { byteSize as bytes } from '../../core/model/loadProgress';
import { readSettings, updateSetting } from '../settings';
import { ENDPOINT_PREFIX, endpointName, readEndpoints, selectedEndpoint, type EndpointEngines } from '../endpoints';
import { findGgufFiles, type GgufFile } from '../../node/engines/llamacpp/ggufFiles';
import { isGgufPath } from '../../node/engines/llamacpp/llamaCppModel';
import type { GgufEngines } from '../engines/ggufEngines';

export interface SelectModelArgs {
  /** Skips the pickers: "facts-lm", a folder path or a hub id (tests). */
  model?: string;
}

/** A server picked as the model: nothing loads here; the engine was opened to check it answers. */
export interface SelectedEndpoint {
  endpoint: string;
  where: string;
}

/** A GGUF file picked as the model: loaded by llama.cpp in the host, to check it opens. */
export interface SelectedGguf {
  gguf: string;
  where: string;
}

export interface SelectModelDeps {
  session: ModelSession;
  extensionUri: vscode.Uri;
  endpoints: EndpointEngines;
  gguf: GgufEngines;
}

export async function selectModel(deps: SelectModelDeps, args: SelectModelArgs = {}): Promise<LoadedModel | SelectedEndpoint | SelectedGguf | undefined> {
  const { session, extensionUri, endpoints: engines } = deps;
  const model = args.model ?? (await pickModel());
  if (model === undefined) return undefined;
  if (model === ADD_ENDPOINT) {
    await vscode.commands.executeCommand('samplingLab.addEndpoint');
    return undefined;
  }
  const name = endpointName(model);
  if (name !== undefined) {
    // Checked before touching settings: an endpoint that is not listed, or does not answer, replaces nothing.
    const endpoint = readEndpoints().find((e) => e.name === name);
    if (!endpoint) throw new Error(`Sampling Lab: no endpoint named "${name}" in your user settings' samplingLab.endpoints. Add it with Sampling Lab: Add Endpoint…`);
    const engine = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Sampling Lab: connecting to ${endpoint.name} (${endpoint.baseUrl})`, cancellable: true },
      async (_, token) => {
        const abort = abortSignalOf(token);
        try {
          return await engines.open(endpoint, abort.signal);
        } finally {
          abort.dispose();
        }
      },
    );
    await updateSetting('model', model);
    selectedEndpoint(readSettings().model);
    // The panel's model is not used while an endpoint is: its memory goes back.
    await session.unload('an endpoint was picked');
    return { endpoint: name, where: engine.where };
  }
  if (isGgufPath(model)) {
    // Loaded before touching settings: a file llama.cpp cannot open replaces nothing.
    const engine = await deps.gguf.open(model);
    await updateSetting('model', model);
    // The panel's model is not used while a GGUF file is: its memory goes back.
    await session.unload('a GGUF file was picked');
    return { gguf: model, where: engine.where };
  }
  // Check the folder before touching settings: a wrong pick must not replace a good one.
  resolveModelChoice(model, extensionUri, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
  // Read back only once the new value is visible here: else the old model loads, and the late
  // change event then releases it.
  await updateSetting('model', model);
  await session.unload('another model was picked');
  const settings = readSettings();
  return session.ensureLoaded(settings.model, settings.device);
}

type Item = vscode.QuickPickItem & { model?: string; action?: 'enterId' | 'folder' | 'gguf' };

/** The picker's "Add Endpoint…" row, as a model value no setting can hold. */
const ADD_ENDPOINT = '\u0000add-endpoint';

/** The picker's items: bundled, current, cached, catalog, endpoints, GGUF files, then the ways to name another. */
export function modelPickItems(current: string, cacheDir: string, dtypeSetting: string, ggufFiles: readonly GgufFile[] = []): Item[] {
  const items: Item[] = [{ label: `$(package) ${BUNDLED_MODEL}`, description: 'bundled with the extension', model: BUNDLED_MODEL }];
  const cached = listCachedModels(cacheDir).filter((m) => m.snapshots.some((s) => s.dtypes.length > 0));
  if (current !== BUNDLED_MODEL && !parseHubId(current) && endpointName(current) === undefined && !isGgufPath(current)) items.push({ label: `$(folder) ${current}`, description: 'current', model: current });
  if (cached.length > 0) items.push({ label: 'Downloaded', kind: vscode.QuickPickItemKind.Separator });
  for (const m of cached) {
    const dtypes = [...new Set(m.snapshots.flatMap((s) => s.dtypes))];
    items.push({ label: `$(database) ${m.repo}`, description: `${dtypes.join(', ')} · ${bytes(m.sizeOnDisk)} on disk${m.repo === current ? ' · current' : ''}`, model: m.repo });
  }
  const fresh = CATALOG.filter((c) => !cached.some((m) => m.repo === c.id));
  if (fresh.length > 0) items.push({ label: 'From the Hugging Face hub', kind: vscode.QuickPickItemKind.Separator });
  for (const c of fresh) {
    const dtype = chooseDtype({ requested: dtypeSetting === 'auto' ? 'auto' : (dtypeSetting as (typeof DTYPES)[number]), available: Object.keys(c.downloadMB) as (typeof DTYPES)[number][], device: 'wasm' });
    const mb = c.downloadMB[dtype];
    items.push({
      label: `$(cloud-download) ${c.id}`,
      description: `${c.parameters} parameters · ≈${mb !== undefined ? (mb >= 1000 ? `${(mb / 1000).toFixed(1)} GB` : `${mb} MB`) : '?'} in ${dtype}`,
      detail: `${c.licence}${c.gated ? ' · gated: needs a token' : ''} · ${c.source.replace(/\/tree\/main\/onnx$/, '')}`,
      model: c.id,
    });
  }
  items.push({ label: 'Endpoints (sampled by the server)', kind: vscode.QuickPickItemKind.Separator });
  for (const e of safeEndpoints()) {
    const model = `${ENDPOINT_PREFIX}${e.name}`;
    items.push({ label: `$(server) Endpoint: ${e.name}`, description: `${e.model} at ${e.baseUrl}${model === current ? ' · current' : ''}`, model });
  }
  items.push({ label: '$(add) Add Endpoint…', detail: 'An OpenAI-compatible server: vLLM, llama.cpp server, Ollama, LM Studio, OpenAI', model: ADD_ENDPOINT });
  items.push(...ggufItems(current, ggufFiles));
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
  items.push({ label: '$(edit) Enter a model id…', detail: 'owner/name or owner/name@revision, e.g. onnx-community/Qwen3-0.6B-ONNX', action: 'enterId' });
  items.push({ label: '$(folder-opened) Open a folder…', detail: 'A folder with config.json, tokenizer.json and onnx/model.onnx', action: 'folder' });
  items.push({ label: '$(file-binary) Open a GGUF file…', detail: 'A .gguf model, run by llama.cpp in the extension host', action: 'gguf' });
  return items;
}

const SOURCE_NAMES: Record<GgufFile['source'], string> = { lmstudio: 'LM Studio', ollama: 'Ollama', folder: 'folder' };

/** The GGUF files found on this machine (read-only: LM Studio's and Ollama's folders), and the current one. */
function ggufItems(current: string, files: readonly GgufFile[]): Item[] {
  const items: Item[] = [];
  if (isGgufPath(current) && !files.some((f) => f.file === current)) items.push({ label: `$(file-binary) ${current}`, description: 'current', model: current });
  for (const f of files) {
    items.push({ label: `$(file-binary) ${f.name}`, description: `${SOURCE_NAMES[f.source]} · ${bytes(f.bytes)}${f.file === current ? ' · current' : ''}`, detail: f.file, model: f.file });
  }
  return items.length > 0 ? [{ label: 'GGUF files (llama.cpp in the extension host)', kind: vscode.QuickPickItemKind.Separator }, ...items] : [];
}

async function pickModel(): Promise<string | undefined> {
  const settings = readSettings();
  const current = settings.model;
  const picked = await vscode.window.showQuickPick(modelPickItems(current, editorHubCacheDir(), settings.dtype, findGgufFiles()), {
    title: 'Sampling Lab: Select Model',
    placeHolder: `Current: ${current}`,
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (!picked) return undefined;
  if (picked.model) return picked.model;
  if (picked.action === 'gguf') {
    const files = await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectMany: false, filters: { 'GGUF model': ['gguf'] }, openLabel: 'Use this model', title: 'A GGUF model file' });
    return files?.[0]?.fsPath;
  }
  if (picked.action === 'enterId') {
    return vscode.window.showInputBox({
      title: 'Sampling Lab: a Hugging Face model id',
      prompt: 'A transformers.js export on the hub (with onnx/model*.onnx). It is downloaded into the Hugging Face cache once.',
      placeHolder: 'owner/name[@revision]',
      ignoreFocusOut: true,
      validateInput: (text) => (parseHubId(text) ? undefined : 'Use owner/name or owner/name@revision.'),
    });
  }
  const folders = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    openLabel: 'Use this model',
    title: 'A model folder (config.json, tokenizer.json, onnx/model.onnx)',
  });
  return folders?.[0]?.fsPath;
}

/** The endpoints for the picker; a broken list shows none here (a run names the error). */
function safeEndpoints() {
  try {
    return readEndpoints();
  } catch {
    return [];
  }
}
