/**
 * The model loaded in the panel's worker. It is loaded once and kept across runs, hides and
 * shows; it is reloaded only when the model or device setting changes, and released when the
 * panel closes or another model is picked.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Backend, DevicePreference } from '../protocol/messages';
import { isDtype, parseHubId, type Dtype, type DtypeChoice } from '../core/model/hubModel';
import { ModelLoadError } from '../core/model/errors';
import { isGgufPath } from '../node/engines/llamacpp/llamaCppModel';
import { endpointName } from './endpoints';
import { pullForEditor } from './hubModels';
import { linkFreeFolder, modelKey, modelSpecFor, readModelFile, resolveModelChoice, type ModelChoice } from './modelChoice';
import { checkModelFolder } from '../node/modelFolder';
import { readSettings, SECTION } from './settings';
import { PanelClosedError, type PanelProvider } from './panelProvider';
import { linkedCancellation, request } from './requests';
import { loadStepText, type LoadStep } from '../core/model/loadProgress';

export interface LoadedModel {
  name: string;
  backend: Backend;
  fallbackReason?: string;
  /** The weights loaded (fp32, q8, …). */
  dtype?: Dtype;
  /** Bytes of model files the host copied to the webview for this load (0 when the webview read them itself). */
  hostServedBytes?: number;
}

export type ModelState =
  | { status: 'none'; name: string }
  /** `progress`: the load's latest step (which file, how far), as the panel, the notification and the status bar show it. */
  | { status: 'loading'; name: string; progress?: LoadStep }
  | ({ status: 'ready'; key: string } & LoadedModel);

export class ModelSession implements vscode.Disposable {
  private state: ModelState;
  private loading: { key: string; promise: Promise<LoadedModel> } | undefined;
  private choice: ModelChoice | undefined;
  /** Bytes served by serveFile since the current load began. */
  private hostServedBytes = 0;
  private readonly emitter = new vscode.EventEmitter<ModelState>();
  readonly onDidChange = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly panel: PanelProvider,
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    initialName: string,
    /** Where a gated hub model's token is kept. */
    private readonly secrets?: vscode.SecretStorage,
  ) {
    this.state = { status: 'none', name: initialName };
    this.disposables.push(
      this.emitter,
      // A new webview document (first open, or after it was closed) has an empty worker.
      panel.onReady(() => this.forget('the panel started')),
      panel.onClosed(() => this.forget('the panel was closed; its worker and the model were released')),
      panel.onEvent((event) => {
        if (event.type === 'readFile') void this.serveFile(event.requestId, event.path);
      }),
    );
  }

  get current(): ModelState {
    return this.state;
  }

  /**
   * The loaded model for these settings, loading it if needed, with a notification whose
   * Cancel (or `token`, e.g. the run's Stop) abandons the load.
   */
  async ensureLoaded(model: string, device: DevicePreference, token?: vscode.CancellationToken): Promise<LoadedModel> {
    const choice = this.resolve(model);
    const key = choiceKey(choice, device);
    if (this.state.status === 'ready' && this.state.key === key) return this.state;
    if (this.loading?.key === key) return this.loading.promise;
    const promise = this.load(choice, device, key, token);
    this.loading = { key, promise };
    try {
      return await promise;
    } finally {
      if (this.loading?.promise === promise) this.loading = undefined;
    }
  }

  /**
   * The model a setting names, checked, with its content fingerprint (cheap: files are re-read
   * only when their stats change). Throws a ModelLoadError naming the missing file.
   */
  resolve(model: string): ModelChoice {
    if (endpointName(model) !== undefined) {
      throw new ModelLoadError(`${SECTION}.model is "${model}", a server: this command runs the model in the panel and does not run on an endpoint yet. Select a local model (Sampling Lab: Select Model…) for it.`, model);
    }
    if (isGgufPath(model)) {
      throw new ModelLoadError(`${SECTION}.model is "${model}", a GGUF file run by llama.cpp in the extension host: this command runs the model in the panel and does not run on a GGUF file yet. Select an ONNX model (Sampling Lab: Select Model…) for it.`, model);
    }
    return resolveModelChoice(model, this.extensionUri, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath, dtypeSetting());
  }

  /** Settings changed: release the model if it is not the one they now name. */
  async settingsChanged(model: string, device: DevicePreference): Promise<void> {
    let key: string | undefined;
    try {
      key = choiceKey(this.resolve(model), device);
    } catch {
      // An unusable model setting: the next run reports it; the old model goes either way.
    }
    if (this.state.status === 'ready' && this.state.key !== key) await this.unload('the model or device setting changed');
  }

  /** Releases the model's memory in the worker (another model was picked, or settings changed). */
  async unload(reason: string): Promise<void> {
    if (this.state.status !== 'ready') return;
    this.setState({ status: 'none', name: this.state.name });
    try {
      await request(this.panel, { type: 'unloadModel' });
      this.log.info(`Released the model: ${reason}.`);
    } catch (e) {
      if (!(e instanceof PanelClosedError)) this.log.warn(`Releasing the model failed: ${(e as Error).message}`);
    }
  }

  private async load(requested: ModelChoice, device: DevicePreference, key: string, stopToken?: vscode.CancellationToken): Promise<LoadedModel> {
    let choice = requested;
    if (choice.kind === 'hub') {
      // Downloaded (or found in the cache) by the host, before the worker is asked to load it.
      this.setState({ status: 'loading', name: choice.name });
      const settings = readSettings();
      try {
        const pulled = await pullForEditor(parseHubId(choice.name)!, {
          dtype: settings.dtype,
          device: device === 'webgpu' ? 'webgpu' : 'wasm',
          settings: settings.hub,
          secrets: this.secrets ?? noSecrets,
          log: this.log,
          token: stopToken,
        });
        // A cached snapshot missing a file (a data file deleted by hand) is named here, not by the runtime.
        checkModelFolder(pulled.dir, pulled.dtype);
        choice = { ...choice, dir: pulled.dir, dtype: pulled.dtype };
      } catch (e) {
        this.setState({ status: 'none', name: choice.name });
        throw e;
      }
    }
    await this.panel.reveal();
    // The worker reads a hub model from the cache as resource URLs: its repository folder must be a root.
    if (choice.kind === 'hub') await this.panel.allowResourceRoot(vscode.Uri.file(path.dirname(path.dirname(choice.dir))));
    // A chosen folder too, when it holds no symlink: then no file of it is copied through the host.
    if (choice.kind === 'folder' && (await linkFreeFolder(choice.dir))) {
      await this.panel.allowResourceRoot(vscode.Uri.file(choice.dir));
      choice = { ...choice, readByWebview: true };
    }
    const webview = this.panel.webview;
    if (!webview) throw new PanelClosedError();
    this.choice = choice;
    this.setState({ status: 'loading', name: choice.name });
    const wasmUrl = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'ort-wasm-simd-threaded.asyncify.wasm')).toString();
    this.hostServedBytes = 0;
    const reads = choice.kind !== 'folder' ? '' : choice.readByWebview ? ', read by the panel as resource URLs' : ', served file by file by the host (the folder holds a symlink)';
    this.log.info(`Loading ${choice.name} (${choice.kind}, ${choice.dir}${reads}) with device "${device}".`);
    try {
      const loaded = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Sampling Lab: loading ${choice.name}`, cancellable: true },
        async (progress, cancelToken) => {
          const cancel = linkedCancellation(cancelToken, stopToken);
          const reply = request(
            this.panel,
            { type: 'loadModel', model: modelSpecFor(choice, webview, this.extensionUri), device, runtime: { wasmUrl } },
            {
              token: cancel.token,
              onProgress: (event) => {
                // Per file, so no overall increment: the message carries the numbers.
                const step: LoadStep = { status: event.status, file: event.file, loaded: event.loaded, total: event.total };
                const message = loadStepText(step);
                if (message === undefined) return;
                progress.report({ message });
                this.setState({ status: 'loading', name: choice.name, progress: step });
              },
            },
          );
          try {
            return await reply;
          } finally {
            cancel.dispose();
          }
        },
      );
      const state = { status: 'ready', key, name: choice.name, backend: loaded.backend, fallbackReason: loaded.fallbackReason, dtype: choice.dtype, hostServedBytes: this.hostServedBytes } as const;
      this.setState(state);
      this.log.info(`Loaded ${choice.name} on ${loaded.backend.toUpperCase()} in ${Math.round(loaded.loadMs)} ms.`);
      // A fallback is worth a warning; WASM because the user asked for it is not.
      if (loaded.fallbackReason) this.log[device === 'wasm' ? 'info' : 'warn'](`Backend: WASM, because ${loaded.fallbackReason}.`);
      return state;
    } catch (e) {
      this.setState({ status: 'none', name: choice.name });
      throw e;
    }
  }

  private async serveFile(requestId: string, relative: string): Promise<void> {
    const choice = this.choice;
    try {
      if (!choice || choice.kind !== 'folder') throw Object.assign(new Error('no model folder is being loaded'), { status: 404 });
      const data = await readModelFile(choice, relative);
      this.hostServedBytes += data.byteLength;
      await this.panel.post({ type: 'fileData', requestId, data });
    } catch (e) {
      const status = (e as { status?: number }).status ?? 500;
      if (status !== 404) this.log.warn(`Serving model file ${relative} failed: ${(e as Error).message}`);
      await this.panel.post({ type: 'fileError', requestId, status, error: (e as Error).message }).catch(() => undefined);
    }
  }

  private forget(reason: string): void {
    if (this.state.status === 'none') return;
    this.log.info(`Model state reset: ${reason}.`);
    this.setState({ status: 'none', name: this.state.name });
  }

  private setState(state: ModelState): void {
    this.state = state;
    this.emitter.fire(state);
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** What identifies a loaded model: its folder (or hub id, dtype setting included) and the device. */
function choiceKey(choice: ModelChoice, device: DevicePreference): string {
  return modelKey(choice, device, readSettings().dtype);
}

/** Without SecretStorage (tests that build a session by hand), a token is never stored. */
const noSecrets: vscode.SecretStorage = {
  get: async () => undefined,
  store: async () => undefined,
  delete: async () => undefined,
  onDidChange: new vscode.EventEmitter<vscode.SecretStorageChangeEvent>().event,
};

/** samplingLab.dtype for a folder model; a bad value is readSettings' error to report, so here it means auto. */
function dtypeSetting(): DtypeChoice {
  const value = vscode.workspace.getConfiguration(SECTION).get<unknown>('dtype', 'auto');
  return isDtype(value) ? value : 'auto';
}
