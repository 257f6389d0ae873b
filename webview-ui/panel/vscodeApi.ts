/**
 * The webview's handle on VS Code: typed postMessage and the state that survives hiding the
 * panel and reloading the window (getState/setState).
 */
import type { Backend, RunRecord, WebviewToHost } from '../../src/protocol/messages';
import type { RunInputsText } from './runInputsView';
import type { StrategyEdits } from './strategyEditor';

export interface PanelState {
  runs: RunRecord[];
  model?: { name: string; backend: Backend; fallbackReason?: string };
  /** Ids of history runs the user expanded. */
  expanded: string[];
  /** The strategy editor's unsaved edits. */
  strategyEdits?: StrategyEdits;
  /** The toolbar's Max tokens and Stop at fields, as typed. */
  runInputs?: RunInputsText;
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
  const edits = saved?.strategyEdits;
  return {
    runs: Array.isArray(saved?.runs) ? saved.runs : [],
    model: saved?.model,
    expanded: saved?.expanded ?? [],
    // Edits of an older page that are not lists are dropped rather than shown half.
    strategyEdits: edits && Array.isArray(edits.draft) && Array.isArray(edits.base) ? edits : undefined,
    runInputs: typeof saved?.runInputs?.maxTokens === 'string' && typeof saved.runInputs.stopAt === 'string' ? saved.runInputs : undefined,
  };
}

export function saveState(state: PanelState): void {
  api.setState(state);
}
