/**
 * The side panel (a WebviewView in its own activity-bar container). It owns the webview's
 * lifetime, validates every message the webview sends, and routes replies to the request that
 * asked for them. Commands call `reveal()` first, so they work while the panel is closed.
 */
import * as path from 'node:path';
import { editorHubCacheDir } from './hubSettings';
import * as vscode from 'vscode';
import type { HostToWebview, ReadFileRequest, ReadyEvent, WebviewToHost } from '../protocol/messages';
import { PROTOCOL_VERSION } from '../protocol/messages';
import { validateWebviewToHost } from '../protocol/validate';
import { panelHtml } from './panelHtml';

export const PANEL_VIEW_ID = 'samplingLab.panel';

/** A reply to one of our requests, addressed to whoever waits on its requestId. */
export type Reply = Exclude<Extract<WebviewToHost, { requestId: string }>, ReadFileRequest>;
/** The rest: panel actions, logs, and the worker's own file requests. */
export type PanelEvent = Exclude<WebviewToHost, Reply | ReadyEvent>;

export class PanelClosedError extends Error {
  override readonly name = 'PanelClosedError';
  constructor() {
    super('The Sampling Lab panel was closed, which released the model. Run the command again to reopen it.');
  }
}

export class PanelProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private ready: Promise<void> | undefined;
  private markReady: (() => void) | undefined;
  private readonly replyHandlers = new Map<string, (reply: Reply) => void>();
  private readonly viewDisposables: vscode.Disposable[] = [];
  private readonly onEventEmitter = new vscode.EventEmitter<PanelEvent>();
  private readonly onReadyEmitter = new vscode.EventEmitter<void>();
  private readonly onClosedEmitter = new vscode.EventEmitter<void>();
  private readonly onVisibilityEmitter = new vscode.EventEmitter<boolean>();
  /** The panel was shown in, or hidden from, the side bar. */
  readonly onDidChangeVisibility = this.onVisibilityEmitter.event;
  /** Panel actions, logs and file requests (insert, copy, stop, log, protocolError, readFile). */
  readonly onEvent = this.onEventEmitter.event;
  /** A (new) webview document started; it holds no model yet. */
  readonly onReady = this.onReadyEmitter.event;
  private closedListeners = 0;
  /**
   * The webview went away, and its worker and model with it. Every request waits on it, so it
   * counts its listeners: a request that forgets to dispose its own shows in `resources()`.
   */
  readonly onClosed: vscode.Event<void> = (listener, thisArgs, disposables) => {
    const sub = this.onClosedEmitter.event(listener, thisArgs);
    this.closedListeners++;
    let live = true;
    const counted = new vscode.Disposable(() => {
      if (live) this.closedListeners--;
      live = false;
      sub.dispose();
    });
    disposables?.push(counted);
    return counted;
  };

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The panel is shown in the side bar now (it may run hidden: retainContextWhenHidden). */
  get visible(): boolean {
    return this.view?.visible ?? false;
  }

  get webview(): vscode.Webview | undefined {
    return this.view?.webview;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.disposeView();
    this.view = view;
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    view.webview.options = {
      enableScripts: true,
      // The hub cache too: hub models' files are read by the worker as resource URLs, not copied through the host.
      localResourceRoots: [...['dist', 'media', 'models'].map((d) => vscode.Uri.joinPath(this.extensionUri, d)), vscode.Uri.file(editorHubCacheDir())],
    };
    view.webview.html = panelHtml(view.webview, this.extensionUri);
    this.viewDisposables.push(
      view.webview.onDidReceiveMessage((raw) => this.receive(raw)),
      view.onDidChangeVisibility(() => this.onVisibilityEmitter.fire(view.visible)),
      view.onDidDispose(() => {
        if (this.view !== view) return;
        this.disposeView();
        this.onClosedEmitter.fire();
      }),
    );
  }

  /**
   * Makes sure the panel's webview runs (the model lives in it) without taking the sidebar from
   * the user when it already does: a hidden panel keeps running (retainContextWhenHidden).
   * True when it had to be opened.
   */
  async ensureRunning(): Promise<boolean> {
    if (this.view && this.ready) {
      await this.waitReady();
      return false;
    }
    await this.reveal();
    return true;
  }

  /** Shows the panel (creating it if needed) and waits until its script runs. */
  async reveal(timeoutMs = 30_000): Promise<void> {
    if (this.view) this.view.show(true);
    else await vscode.commands.executeCommand(`${PANEL_VIEW_ID}.focus`);
    await this.waitReady(timeoutMs);
  }

  private async waitReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ready && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (!this.ready) throw new Error('The Sampling Lab panel did not open. Open it from the activity bar and try again.');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.ready,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('The Sampling Lab panel did not start within 30 s. See "Sampling Lab: Show Log".')), Math.max(0, deadline - Date.now()));
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Lets the webview read files under `root` as resource URLs (a hub model's folder in a cache
   * that is not the one the view was created with), keeping the roots it has. VS Code reloads the
   * webview's document when its options change (WebviewElement.contentOptions → doUpdateContent),
   * so this waits for the new document's ready; its worker starts empty.
   */
  async allowResourceRoot(root: vscode.Uri): Promise<void> {
    const view = this.view;
    if (!view) return;
    const roots = view.webview.options.localResourceRoots ?? [];
    if (roots.some((r) => root.fsPath === r.fsPath || root.fsPath.startsWith(r.fsPath + path.sep))) return;
    this.log.info(`Adding ${root.fsPath} to the panel's resource roots; the panel reloads.`);
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    view.webview.options = { ...view.webview.options, localResourceRoots: [...roots, root] };
    await this.waitReady();
  }

  async post(message: HostToWebview): Promise<void> {
    if (!this.view) throw new PanelClosedError();
    const delivered = await this.view.webview.postMessage(message);
    if (!delivered) throw new PanelClosedError();
  }

  /** What the panel's host side holds now: requests waiting for a reply, and listeners on its closing. */
  resources(): { pendingReplies: number; closedListeners: number } {
    return { pendingReplies: this.replyHandlers.size, closedListeners: this.closedListeners };
  }

  /** Routes replies carrying `requestId` to `handler` until the returned disposable is disposed. */
  onReplies(requestId: string, handler: (reply: Reply) => void): vscode.Disposable {
    this.replyHandlers.set(requestId, handler);
    return new vscode.Disposable(() => this.replyHandlers.delete(requestId));
  }

  /**
   * Entry point for everything the webview sends. Public so tests can feed it malformed input:
   * an invalid message is logged and dropped, and the result says why.
   */
  receive(raw: unknown): { ok: true } | { ok: false; error: string } {
    const checked = validateWebviewToHost(raw);
    if (!checked.ok) {
      this.log.error(`Rejected a message from the panel: ${checked.error}`);
      return checked;
    }
    const message = checked.message;
    if (message.type === 'ready') {
      if (message.protocolVersion !== PROTOCOL_VERSION) {
        this.log.warn(`The panel speaks protocol ${message.protocolVersion}, the extension ${PROTOCOL_VERSION}; reload the window.`);
      }
      this.markReady?.();
      this.onReadyEmitter.fire();
    } else if (message.type === 'protocolError' && message.requestId) {
      // The panel could not read a message of ours: the request it belonged to has failed.
      this.replyHandlers.get(message.requestId)?.({ type: 'requestFailed', requestId: message.requestId, error: message.error, errorName: 'ProtocolError' });
      this.onEventEmitter.fire(message);
    } else if ('requestId' in message && message.type !== 'readFile' && message.type !== 'protocolError') {
      const handler = this.replyHandlers.get(message.requestId);
      if (handler) handler(message);
      else if (message.type !== 'tokens' && message.type !== 'tokensStreamed') this.log.debug(`No one waits for ${message.type} of ${message.requestId} (cancelled or finished).`);
    } else {
      this.onEventEmitter.fire(message);
    }
    return { ok: true };
  }

  private disposeView(): void {
    for (const d of this.viewDisposables.splice(0)) d.dispose();
    this.view = undefined;
    this.ready = undefined;
    this.markReady = undefined;
  }

  dispose(): void {
    this.disposeView();
    this.onEventEmitter.dispose();
    this.onReadyEmitter.dispose();
    this.onClosedEmitter.dispose();
    this.onVisibilityEmitter.dispose();
  }
}
