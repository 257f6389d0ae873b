/**
 * What `activate` returns: a small surface for the extension-host tests (and other
 * extensions), so they can drive the panel protocol and watch runs without the UI.
 */
import type * as vscode from 'vscode';
import type { ExplorerReply } from '../core/explorer/messages';
import type { RunRecord } from '../protocol/messages';
import type { ModelState } from './modelSession';
import type { PanelEvent } from './panelProvider';
import type { PreferenceItem } from './preferences/preferencesView';
import type { SuiteSnapshot } from './promptTests/promptTestController';
import type { PromptTestRunSummary } from './promptTests/runPromptTests';

export interface SamplingLabApi {
  /** Feeds a message to the host as if the panel sent it; invalid ones are rejected, not thrown. */
  receiveFromPanel(raw: unknown): { ok: true } | { ok: false; error: string };
  /** Posts a raw (possibly malformed) message to the panel; the panel answers bad ones with protocolError. */
  postToPanel(raw: unknown): Thenable<boolean>;
  readonly onPanelEvent: vscode.Event<PanelEvent>;
  /** Tokens streamed so far by a run (fires per batch). */
  readonly onTokens: vscode.Event<{ runId: string; count: number }>;
  /** A run (comparison, risk check, JSON) is in progress from now on: Stop stops it. */
  readonly onDidStartRun: vscode.Event<string>;
  /** A panel event (insert, prefer, branchAdded, …) has been handled, with what came of it. */
  readonly onDidHandlePanelEvent: vscode.Event<PanelEventOutcome>;
  modelState(): ModelState;
  /** The model state changed: a load began, reached a file or a byte count (`progress`), ended. */
  readonly onDidChangeModelState: vscode.Event<ModelState>;
  /** Releases the loaded model (the next run loads it again), as a changed model setting does. */
  releaseModel(): Promise<void>;
  history(): RunRecord[];
  clearHistory(): Promise<void>;
  /** The Preferences view's rows, as it shows them now. */
  preferenceItems(): PreferenceItem[];
  /** The Preferences view is expanded and shown (it starts collapsed, and expands once pairs exist). */
  preferencesViewVisible(): boolean;
  /** The Test Explorer's prompt test items, and running them as its Run button does. */
  promptTests: {
    /** Scans the workspace again, then lists what the Test Explorer shows. */
    discover(): Promise<SuiteSnapshot[]>;
    /** Runs the items with these ids (files or cases), or all. */
    run(ids?: string[], token?: vscode.CancellationToken): Promise<PromptTestRunSummary>;
    readonly onDidFinish: vscode.Event<PromptTestRunSummary>;
    /** A case item's id, as it starts. */
    readonly onDidStartCase: vscode.Event<string>;
  };
  /** The last error shown to the user. */
  lastError(): string | undefined;
  /** What the host holds now, to find leaks (npm run soak): all 0 between runs, but the one closed-listener per loaded model. */
  resources(): HostResources;
}

export interface PanelEventOutcome {
  event: PanelEvent;
  /** The error shown for it, if any (a refused preference, a branch of a run that is gone). */
  error?: string;
  /** Insert: how many risk marks the inserted answer got. */
  marked?: number;
  /** hostExplorer: the reply the host sent the panel. */
  explorer?: ExplorerReply;
}

export interface HostResources {
  /** Requests waiting for the panel's reply. */
  pendingReplies: number;
  /** Listeners on the panel's closing (each waiting request holds one). */
  closedListeners: number;
  /** Comparisons, risk checks and JSON runs in progress (0 or 1). */
  runsInProgress: number;
  promptTestRuns: number;
}
