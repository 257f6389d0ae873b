/**
 * Hub models in the editor: the hub settings as a HubConfig (samplingLab.hub.* over HF_* variables,
 * the token from SecretStorage over HF_TOKEN, VS Code's http.proxy over HTTPS_PROXY), a pull in
 * the extension host with a cancellable progress notification (bytes, total, speed), and a token
 * prompt when a gated repository answers 401. The token never reaches settings, logs or history.
 */
import * as vscode from 'vscode';
import { abortSignalOf, linkedCancellation } from './requests';
import { formatHubId, type DtypeChoice, type HubId } from '../core/model/hubModel';
import { HubError } from '../node/hub/hubErrors';
import { pullModel, type PulledModel } from '../node/hub/pullModel';
import { editorHubConfig, TOKEN_SECRET, type HubSettings } from './hubSettings';
import { byteSize as bytes } from '../core/model/loadProgress';

/** "Sampling Lab: Set Hugging Face Token…": stores a token in SecretStorage (empty input removes it). */
export async function setHubToken(secrets: vscode.SecretStorage, reason?: string): Promise<boolean> {
  const token = await vscode.window.showInputBox({
    title: 'Sampling Lab: Hugging Face token',
    prompt: `${reason ? `${reason} ` : ''}A read token from https://huggingface.co/settings/tokens, kept in the editor's secret storage. Leave empty to remove the stored token.`,
    password: true,
    ignoreFocusOut: true,
    placeHolder: 'hf_…',
  });
  if (token === undefined) return false;
  if (token.trim()) await secrets.store(TOKEN_SECRET, token.trim());
  else await secrets.delete(TOKEN_SECRET);
  return token.trim() !== '';
}

/**
 * Pulls `id` (or finds it in the cache) with a progress notification; Cancel (or `token`) stops it
 * and keeps the partial file. A 401 asks for a token once and tries again.
 */
export async function pullForEditor(
  id: HubId,
  options: { dtype: DtypeChoice; device: string; settings: HubSettings; secrets: vscode.SecretStorage; log: vscode.LogOutputChannel; token?: vscode.CancellationToken },
): Promise<PulledModel> {
  for (let attempt = 0; ; attempt++) {
    const config = await editorHubConfig(options.settings, options.secrets);
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Sampling Lab: ${formatHubId(id)}`, cancellable: true },
        async (progress, cancel) => {
          const stop = linkedCancellation(cancel, options.token);
          const abort = abortSignalOf(stop.token);
          progress.report({ message: 'checking the hub…' });
          let reported = 0;
          try {
            const pulled = await pullModel(id, config, {
              dtype: options.dtype,
              device: options.device,
              signal: abort.signal,
              onProgress: (p) => {
                const pct = p.total > 0 ? (100 * p.bytes) / p.total : 100;
                progress.report({
                  increment: Math.max(0, pct - reported),
                  message: `${bytes(p.bytes)} of ${bytes(p.total)} · ${bytes(p.bytesPerSecond)}/s · ${p.file} (${Math.min(p.filesDone + 1, p.files)} of ${p.files})`,
                });
                reported = Math.max(reported, pct);
              },
            });
            options.log.info(
              `${formatHubId(id)}: ${pulled.dtype} at ${pulled.commit.slice(0, 10)}, ${pulled.offline ? 'from the cache (offline)' : pulled.downloaded > 0 ? `${bytes(pulled.downloaded)} downloaded` : 'already cached'} (${pulled.dir}).`,
            );
            return pulled;
          } finally {
            abort.dispose();
            stop.dispose();
          }
        },
      );
    } catch (e) {
      if (e instanceof HubError && e.kind === 'auth' && attempt === 0 && (await setHubToken(options.secrets, `${formatHubId(id)} is gated and needs a token.`))) continue;
      throw e;
    }
  }
}
