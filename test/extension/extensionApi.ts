/** Shared by the suites: the activated extension's API and settings that restore themselves. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SamplingLabApi } from '../../src/extension/api';

export const EXTENSION_ID = 'sampling-lab.sampling-lab';

export async function labApi(): Promise<SamplingLabApi> {
  const extension = vscode.extensions.getExtension<SamplingLabApi>(EXTENSION_ID);
  if (!extension) throw new Error(`${EXTENSION_ID} is not installed in this extension host`);
  return extension.activate();
}

/** Sets user settings for the duration of `body`, then puts the old values back. */
export async function withSettings<T>(values: Record<string, unknown>, body: () => Thenable<T>): Promise<T> {
  const config = vscode.workspace.getConfiguration('samplingLab');
  const old = Object.fromEntries(Object.keys(values).map((k) => [k, config.inspect(k)?.globalValue]));
  for (const [k, v] of Object.entries(values)) await config.update(k, v, vscode.ConfigurationTarget.Global);
  try {
    return await body();
  } finally {
    for (const [k, v] of Object.entries(old)) await config.update(k, v, vscode.ConfigurationTarget.Global);
  }
}

/** Sets user settings for a whole suite (mocha before/after hooks), then puts the old values back. */
export function useSettingsInSuite(values: Record<string, unknown>): void {
  let old: Record<string, unknown> = {};
  before(async () => {
    const config = vscode.workspace.getConfiguration('samplingLab');
    old = Object.fromEntries(Object.keys(values).map((k) => [k, config.inspect(k)?.globalValue]));
    for (const [k, v] of Object.entries(values)) await config.update(k, v, vscode.ConfigurationTarget.Global);
  });
  after(async () => {
    const config = vscode.workspace.getConfiguration('samplingLab');
    for (const [k, v] of Object.entries(old)) await config.update(k, v, vscode.ConfigurationTarget.Global);
  });
}

/** Resolves with the first event of `event` that satisfies `predicate`, or rejects after `timeoutMs`. */
export function nextEvent<T>(event: vscode.Event<T>, predicate: (value: T) => boolean, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no matching event within ${timeoutMs} ms`));
    }, timeoutMs);
    const sub = event((value) => {
      if (!predicate(value)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(value);
    });
  });
}

/**
 * Polls `read` until `ok` accepts its value (file watchers and diagnostics arrive late), or fails
 * after `timeoutMs`. The deadline is only a backstop for a condition that never comes: a file
 * watcher's event took over 20 s on two cores shared with a CPU hog and other suites
 * (npm run test:load).
 */
export async function until<T>(read: () => T, ok: (value: T) => boolean, what: string, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Asks the process that launched the extension host (it reads the host's console) to do
 * something: prints `line`, then waits for the launcher to write `file` (written aside and
 * renamed, so it appears whole) and returns its text. The soak and the memory bench use it.
 */
export async function askLauncher(line: string, file: string): Promise<string> {
  const answered = new Promise<void>((resolve) => {
    const watcher = fs.watch(path.dirname(file), () => {
      if (!fs.existsSync(file)) return;
      watcher.close();
      resolve();
    });
  });
  console.log(line);
  await answered;
  return fs.readFileSync(file, 'utf8');
}

/** The bundled model's folder inside the installed extension. */
export function bundledModelFolder(): string {
  return path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionUri.fsPath, 'models', 'facts-lm');
}

/**
 * Runs `body` on a copy of the bundled model holding a symlink to one of its own files (allowed,
 * but only the host's checks can tell it from one leading out, so the host serves the folder file
 * by file), then selects the bundled model again and deletes the copy.
 */
export async function withLinkedModelCopy(body: (folder: string) => Promise<void>): Promise<void> {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-linked-'));
  const folder = path.join(parent, 'model');
  fs.cpSync(bundledModelFolder(), folder, { recursive: true, filter: (src) => !src.includes(`${path.sep}world`) });
  fs.symlinkSync(path.join(folder, 'config.json'), path.join(folder, 'config_link.json'));
  try {
    await body(folder);
  } finally {
    await vscode.commands.executeCommand('samplingLab.selectModel', { model: 'facts-lm' });
    await vscode.workspace.getConfiguration('samplingLab').update('model', undefined, vscode.ConfigurationTarget.Global);
    fs.rmSync(parent, { recursive: true, force: true });
  }
}
