/**
 * The webview's handle on VS Code: typed postMessage and the state that survives hiding the
 * panel and reloading the window (getState/setState).
 */
import type { Backend, RunRecord, WebviewToHost } from '../../src/protocol/messages';

export interface PanelState {
  runs: RunRecord[];
  model?: { name: string; backend: Backend; fallbackReason?: string };
  /** Ids of history runs the user expanded. */
  expanded: string[];
}

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

export function postToHost(message: WebviewToHost): void {
  api.postMessage(message);
}

export function loadState(): PanelState {
  const saved = api.getState() as Partial<PanelState> | undefined;
  return { runs: Array.isArray(saved?.runs) ? saved.runs : [], model: saved?.model, expanded: saved?.expanded ?? [] };
}

export function saveState(state: PanelState): void {
  api.setState(state);
}
