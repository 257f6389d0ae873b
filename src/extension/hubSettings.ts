/**
 * The hub settings of the editor as a HubConfig: samplingLab.hub.* over HF_* variables, the token
 * from SecretStorage over HF_TOKEN, VS Code's http.proxy over HTTPS_PROXY.
 */
import * as vscode from 'vscode';
import { hubConfig, type HubConfig } from '../node/hub/hubConfig';

export const TOKEN_SECRET = 'samplingLab.hubToken';

export interface HubSettings {
  endpoint?: string;
  cacheDir?: string;
}

/** The hub cache folder the editor uses (samplingLab.hub.cacheDir, else HF_HUB_CACHE / HF_HOME / ~/.cache/huggingface/hub). */
export function editorHubCacheDir(): string {
  const setting = vscode.workspace.getConfiguration('samplingLab').get<string>('hub.cacheDir');
  return hubConfig({ cacheDir: setting?.trim() || undefined }).cacheDir;
}

/** The hub configuration the editor uses; `token` comes from SecretStorage when stored there. */
export async function editorHubConfig(settings: HubSettings, secrets: vscode.SecretStorage): Promise<HubConfig> {
  const proxy = vscode.workspace.getConfiguration('http').get<string>('proxy');
  return hubConfig({ endpoint: settings.endpoint, cacheDir: settings.cacheDir, token: await secrets.get(TOKEN_SECRET), proxy: proxy || undefined });
}

