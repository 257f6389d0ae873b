/**
 * GGUF models in the extension host: a `samplingLab.model` naming a .gguf file opens the
 * llama.cpp engine (src/node/engines/llamacpp) here, not in the panel's worker. One model stays
 * loaded (a GGUF file is hundreds of MB to GBs of native memory): it is kept across runs, and
 * released when another file is named, when the file changes on disk, and when the extension
 * deactivates.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Engine } from '../../core/engine/types';
import type { ThreadsChoice } from '../../core/model/threads';
// The llama.cpp folder alone registers its provider: the engines' index would bundle onnxruntime-node into the host.
import '../../node/engines/llamacpp/main';
import { createEngine } from '../../node/engines/registry';
import { isGgufPath } from '../../node/engines/llamacpp/llamaCppModel';
import { ggufFingerprint } from '../../node/modelFingerprint';
import { resolveGgufFile } from '../modelChoice';
import { readThreadsSetting, SECTION } from '../settings';

/** A GGUF file a setting names: where it is, and what identifies its content. */
export interface GgufChoice {
  file: string;
  name: string;
  /** Size and header hash (ggufFingerprint): a file replaced in place is another model. */
  fingerprint: string;
}

/** Resolves and fingerprints the file; throws a ModelLoadError naming the problem and the fix. */
export function resolveGguf(model: string): GgufChoice {
  const file = resolveGgufFile(model, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
  let fingerprint: string;
  try {
    fingerprint = ggufFingerprint(file);
  } catch {
    // Missing or unreadable: the engine's own check names it (checkGgufHeader) when it opens.
    fingerprint = `missing:${file}`;
  }
  return { file, name: path.basename(file), fingerprint };
}

interface Loaded {
  key: string;
  file: string;
  engine: Promise<Engine>;
}

export class GgufEngines implements vscode.Disposable {
  private loaded: Loaded | undefined;

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /**
   * The engine for the GGUF file `model` names, loaded once and kept; another file (or this one
   * changed on disk, or another threads setting) releases the old model first. The engine is the
   * cache's: callers never dispose it. `signal` stops waiting, not a load other runs share.
   */
  async open(model: string, signal?: AbortSignal): Promise<Engine> {
    const choice = resolveGguf(model);
    const threads = readThreadsSetting();
    const key = `${choice.fingerprint}|${choice.file}|${threads}`;
    if (this.loaded?.key !== key) {
      await this.release('another GGUF file or threads setting was chosen');
      this.loaded = { key, file: choice.file, engine: this.load(choice, threads) };
      const loaded = this.loaded;
      loaded.engine.catch(() => {
        if (this.loaded === loaded) this.loaded = undefined;
      });
    }
    return abortable(this.loaded.engine, signal);
  }

  /** Settings changed: release the model unless they still name its file. */
  async settingsChanged(model: string): Promise<void> {
    if (!this.loaded) return;
    let file: string | undefined;
    try {
      file = isGgufPath(model) ? resolveGguf(model).file : undefined;
    } catch {
      // An unusable setting: the next run says why; the old model goes either way.
    }
    if (file !== this.loaded.file) await this.release('samplingLab.model no longer names it');
  }

  private async load(choice: GgufChoice, threads: ThreadsChoice): Promise<Engine> {
    this.log.info(`Loading ${choice.file} with llama.cpp in the extension host (threads ${threads}).`);
    const started = Date.now();
    const engine = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Sampling Lab: loading ${choice.name} with llama.cpp` }, () =>
      createEngine({ kind: 'llamacpp', file: choice.file, threads, setting: `${SECTION}.model`, onLog: (line: string) => this.log.info(line) }),
    );
    this.log.info(`Loaded ${choice.name} with llama.cpp in ${Date.now() - started} ms.`);
    return engine;
  }

  /** Frees the loaded model's native memory. */
  async release(reason: string): Promise<void> {
    const loaded = this.loaded;
    if (!loaded) return;
    this.loaded = undefined;
    try {
      await (await loaded.engine).dispose();
      this.log.info(`Released ${loaded.file}: ${reason}.`);
    } catch {
      // It never loaded: nothing to free (its error went to the run that opened it).
    }
  }

  dispose(): void {
    void this.release('the extension was deactivated');
  }
}

/** `promise`, or a CancellationError as soon as `signal` aborts (the load itself goes on for the next run). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new vscode.CancellationError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new vscode.CancellationError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
