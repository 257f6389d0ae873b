/**
 * The panel: renders runs and their cards, forwards model work to the worker, and relays the
 * worker's events to the host. Everything crossing a boundary is validated on arrival.
 */
import type { HostToWebview, RunRecord, WorkerEvent } from '../../src/protocol/messages';
import { PROTOCOL_VERSION } from '../../src/protocol/messages';
import { validateHostToWebview } from '../../src/protocol/validate';
import { ExplorerView } from './explorerView';
import { HostExplorerClient } from './hostExplorer';
import { RemoteBranchCards } from './remoteBranch';
import { ModelStatus } from './modelStatus';
import { JsonRunView } from './jsonRoutesView';
import { RunInputsView } from './runInputsView';
import { RunView } from './runView';
import { StrategyEditor } from './strategyEditor';
import type { RunActions } from './runActions';
import { installTokenInteractions, legendElement } from './tokenView';
import { loadState, postToHost, saveState, type PanelState } from './vscodeApi';
import { startWorker, type WorkerClient } from './workerClient';

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const state: PanelState = loadState();
// A new document has a new (empty) worker: whatever model the saved state names is gone.
state.model = undefined;
const runsEl = byId<HTMLElement>('runs');
const emptyEl = byId<HTMLElement>('empty');
const legend = legendElement();
runsEl.before(legend);
const strategyEditor = new StrategyEditor(
  {
    save: (strategies, base, target) => postToHost({ type: 'saveStrategies', strategies, base, target }),
    persist: (edits) => {
      state.strategyEdits = edits;
      saveState(state);
    },
  },
  state.strategyEdits,
);
legend.before(strategyEditor.element);
const runInputs = new RunInputsView(
  byId<HTMLInputElement>('max-tokens'),
  byId<HTMLTextAreaElement>('stop-at'),
  byId('run-inputs-error'),
  postToHost,
  (text) => {
    state.runInputs = text;
    saveState(state);
  },
  state.runInputs,
);
const status = new ModelStatus(byId('model-status'), byId('load'), byId<HTMLProgressElement>('load-bar'), byId('load-label'));
const views = new Map<string, RunView | JsonRunView>();
/** The record each view shows: only a run whose record changed is drawn again (a render used to redraw every card of the history). */
const shownRecords = new Map<string, RunRecord>();
/** Requests sent to the worker and not yet answered: failed at once if the worker dies. */
const outstanding = new Set<string>();
/** Outstanding requests already told to stop: Stop has nothing more to do for them. */
const stopping = new Set<string>();
const stopButton = byId<HTMLButtonElement>('stop');
/** Token batches wait for the next frame, so a burst costs one layout. */
let queuedTokens: { runId: string; events: WorkerEvent & { type: 'tokens' } }[] = [];
let frame = 0;
let worker: WorkerClient | undefined;
/** `samplingLab.history.maxRuns`, as the host's history message last said (it comes when the panel starts). */
let historyLimit = Number.POSITIVE_INFINITY;

const actions: RunActions = {
  insert: (runId, text, strategy) => postToHost({ type: 'insert', runId, text, strategy }),
  copy: (text) => postToHost({ type: 'copy', text }),
  prefer: (runId, chosen, rejected) => postToHost({ type: 'prefer', runId, chosen, rejected }),
  runAction: (runId, action) => postToHost({ type: 'runAction', runId, action }),
};

function log(level: 'info' | 'warn' | 'error', message: string): void {
  postToHost({ type: 'log', level, message });
}

function persist(): void {
  state.expanded = [...views.values()].filter((v) => v.expanded).map((v) => v.id);
  saveState(state);
}

function render(): void {
  const keep = new Set(state.runs.map((r) => r.id));
  for (const [id, view] of views) {
    if (!keep.has(id)) {
      view.element.remove();
      views.delete(id);
      shownRecords.delete(id);
    }
  }
  // Newest first; the newest is open, the rest as the user left them.
  state.runs.forEach((run, i) => {
    let view = views.get(run.id);
    if (!view) {
      const open = i === 0 || state.expanded.includes(run.id);
      view = run.kind === 'json' ? new JsonRunView(run, actions, open) : new RunView(run, actions, open);
      views.set(run.id, view);
    } else if (shownRecords.get(run.id) !== run) {
      view.update(run);
    }
    shownRecords.set(run.id, run);
    if (runsEl.children[i] !== view.element) runsEl.insertBefore(view.element, runsEl.children[i] ?? null);
  });
  emptyEl.hidden = state.runs.length > 0;
  legend.hidden = state.runs.length === 0;
  status.showModel(state.model);
  showStopState();
}

/** Stop is live only while the worker holds a request Stop has not yet stopped; idle, it is visibly inert. */
function showStopState(): void {
  const idle = [...outstanding].every((id) => stopping.has(id)) && !state.runs.some((r) => r.status === 'running' && !stopping.has(r.id));
  stopButton.disabled = idle;
  stopButton.dataset.state = idle ? 'idle' : 'running';
}

function settled(requestId: string): void {
  outstanding.delete(requestId);
  stopping.delete(requestId);
  showStopState();
}

/**
 * Stop, as the panel shows it: the run is marked stopped at once, keeping the tokens it streamed,
 * and the worker is told directly (the host's own cancel follows, over a channel that may be busy
 * with the run's tokens). The worker's partial result and then the host's record replace the mark.
 */
function stopRequest(requestId: string): void {
  if (stopping.has(requestId)) return;
  const run = ownerOfRequest(requestId);
  // A load is stopped by the host alone: it decides whether the run that waits for it ends.
  if (!run || run.status !== 'running') return;
  stopping.add(requestId);
  // A run on a server is the host's alone (runTokens): it has nothing in the worker to cancel.
  if (outstanding.has(requestId)) worker?.send({ type: 'cancel', requestId });
  // Shown first; the webview state (all of the history) is written after the frame is painted.
  state.runs = state.runs.map((r) => (r.id === run.id ? { ...run, status: 'aborted' } : r));
  render();
  requestAnimationFrame(() => setTimeout(persist, 0));
}

function upsertRun(run: RunRecord): void {
  const i = state.runs.findIndex((r) => r.id === run.id);
  if (i >= 0) state.runs[i] = run;
  else {
    state.runs.unshift(run);
    dropPastLimit();
  }
  for (const [id, view] of views) if (id !== run.id && i < 0) view.setExpanded(false);
  render();
  persist();
  if (i < 0) revealNewRun(views.get(run.id)?.element);
}

/**
 * The panel keeps no more runs than the host stores (a run still streaming stays). Its list, its
 * DOM and the webview state it saves on every token batch grew with every run before: in the soak,
 * a run took 0.4 s at first and 10 s by the 120th, the panel's renderer busy the whole time.
 */
function dropPastLimit(): void {
  if (state.runs.length > historyLimit) state.runs = state.runs.filter((r, i) => i < historyLimit || r.status === 'running');
}

/**
 * A new run goes to the top of the list, which may be scrolled away: its header is brought into
 * view below the sticky toolbar (.run's scroll-margin), and the page is left alone when it shows.
 */
function revealNewRun(element: HTMLElement | undefined): void {
  if (!element) return;
  const top = element.getBoundingClientRect().top;
  const toolbarBottom = document.querySelector('.toolbar')?.getBoundingClientRect().bottom ?? 0;
  if (top < toolbarBottom || top > window.innerHeight - 48) element.scrollIntoView({ block: 'start' });
}

function ensureWorker(): WorkerClient {
  worker ??= startWorker(document.body.dataset.workerUrl!, {
    onEvent: onWorkerEvent,
    onInvalid: (error) => log('error', `panel rejected a message from the model worker: ${error}`),
    onCrash: (error) => {
      log('error', error);
      worker?.terminate();
      worker = undefined;
      state.model = undefined;
      status.endLoad();
      for (const requestId of outstanding) onWorkerEvent({ type: 'requestFailed', requestId, error, errorName: 'WorkerError' });
      render();
    },
  });
  return worker;
}

function runOfRequest(requestId: string): RunRecord | undefined {
  return state.runs.find((r) => r.id === requestId);
}

/** The run a request streams into: its own, or the side-by-side holding it as one model's run. */
function ownerOfRequest(requestId: string): RunRecord | undefined {
  return runOfRequest(requestId) ?? state.runs.find((r) => r.models?.some((m) => m.id === requestId));
}

function onWorkerEvent(event: WorkerEvent): void {
  switch (event.type) {
    case 'loadProgress':
      status.loadProgress(event);
      break;
    case 'modelLoaded':
      settled(event.requestId);
      status.endLoad();
      state.model = { name: event.model, backend: event.backend, fallbackReason: event.fallbackReason };
      render();
      persist();
      break;
    case 'modelUnloaded':
      settled(event.requestId);
      state.model = undefined;
      render();
      persist();
      break;
    case 'tokens':
      queuedTokens.push({ runId: event.requestId, events: event });
      frame ||= requestAnimationFrame(flushTokens);
      // The host only counts them (progress, tests): the tokens themselves stay here.
      postToHost({ type: 'tokensStreamed', requestId: event.requestId, count: event.events.length });
      return;
    case 'routeDone': {
      const run = runOfRequest(event.requestId);
      if (run?.structured) upsertRun({ ...run, structured: { ...run.structured, routes: [...run.structured.routes, event.result] } });
      break;
    }
    case 'structuredDone': {
      settled(event.requestId);
      const run = runOfRequest(event.requestId);
      // The routes show at once; the status is the host's, in the record that follows (runUpdated).
      if (run?.structured && run.status === 'running') {
        const { routes, elapsedMs, truncatedNotice } = event.result;
        upsertRun({ ...run, structured: { ...run.structured, routes, elapsedMs, truncatedNotice } });
      }
      break;
    }
    case 'compareDone': {
      settled(event.requestId);
      dropQueuedTokens(event.requestId);
      const run = runOfRequest(event.requestId);
      // The result shows at once; whether the run is done or stopped is the host's to say (runUpdated follows).
      if (run?.status === 'running') upsertRun({ ...run, result: event.result });
      break;
    }
    case 'requestFailed': {
      settled(event.requestId);
      status.endLoad();
      // The host records the run as failed or stopped, and sends that record (runUpdated).
      dropQueuedTokens(event.requestId);
      break;
    }
    case 'readFile':
    case 'log':
      break;
  }
  postToHost(event);
}

function flushTokens(): void {
  frame = 0;
  const batch = queuedTokens;
  queuedTokens = [];
  // A stopped run's cards stand still: what the worker decoded after Stop comes with its partial result.
  for (const { runId, events } of batch) {
    if (stopping.has(runId)) continue;
    const owner = ownerOfRequest(runId);
    if (owner) views.get(owner.id)?.applyTokens(events.events, runId);
  }
}

function dropQueuedTokens(runId: string): void {
  // The final result replaces the streamed tokens; late batches must not be appended after it.
  flushTokens();
  queuedTokens = queuedTokens.filter((q) => q.runId !== runId);
}

function onHostMessage(message: HostToWebview): void {
  switch (message.type) {
    case 'history':
      historyLimit = message.maxRuns;
      state.runs = message.runs;
      render();
      persist();
      return;
    case 'runUpdated':
      // A finished run's record replaces what streamed: no queued batch may land after it.
      if (message.run.status !== 'running') {
        dropQueuedTokens(message.run.id);
        if (!outstanding.has(message.run.id)) stopping.delete(message.run.id);
      }
      upsertRun(message.run);
      return;
    case 'strategySettings':
      strategyEditor.show(message);
      return;
    case 'runDefaults':
      runInputs.showDefault(message.maxNewTokens);
      return;
    case 'runTokens':
      // A run the host runs itself (on a server): its tokens stream here like the worker's.
      queuedTokens.push({ runId: message.requestId, events: { type: 'tokens', requestId: message.requestId, events: message.events } });
      frame ||= requestAnimationFrame(flushTokens);
      return;
    case 'branchProgress':
      explorer.onBranchProgress(message);
      return;
    case 'hostExplorerReply':
      hostExplorer.onReply(message);
      return;
    case 'preferenceRecorded': {
      const view = views.get(message.runId);
      if (view instanceof RunView) view.showPreference(message);
      return;
    }
    case 'loadModel':
      status.startLoad(message.model.name);
      outstanding.add(message.requestId);
      showStopState();
      break;
    case 'unloadModel':
      outstanding.add(message.requestId);
      break;
    case 'compare':
    case 'structured':
      // The host announced the run's record (runUpdated) before asking: its cards take what streams.
      // A request of no run's (a prompt test case) shows nothing but the Stop button.
      outstanding.add(message.requestId);
      showStopState();
      break;
    case 'cancel':
      // Stop from the command or the view's icon: shown at once, as from the panel's button.
      stopRequest(message.requestId);
      if (!worker) return;
      break;
    case 'fileData':
    case 'fileError':
      // Nothing to cancel or feed without a worker; do not start one for it.
      if (!worker) return;
      break;
  }
  ensureWorker().send(message);
}

window.addEventListener('message', (e: MessageEvent) => {
  const checked = validateHostToWebview(e.data);
  if (!checked.ok) {
    const error = `panel rejected a message from the extension: ${checked.error}`;
    const { type, requestId } = (e.data ?? {}) as { type?: unknown; requestId?: unknown };
    const id = typeof requestId === 'string' ? requestId : undefined;
    postToHost({ type: 'protocolError', error, requestId: id });
    // A file the worker waits for must not leave it waiting forever.
    if (id && worker && (type === 'fileData' || type === 'fileError')) worker.send({ type: 'fileError', requestId: id, status: 500, error });
    return;
  }
  onHostMessage(checked.message);
});

stopButton.addEventListener('click', () => {
  for (const requestId of outstanding) stopRequest(requestId);
  for (const run of state.runs) if (run.status === 'running') stopRequest(run.id);
  showStopState();
  postToHost({ type: 'stop' });
});
runsEl.addEventListener('run-toggled', () => persist());
installTokenInteractions(runsEl, byId('token-tooltip'));
// The distribution explorer: a click or Enter on a token of a finished card opens it above the cards.
const hostExplorer = new HostExplorerClient(postToHost);
const explorer = new ExplorerView(
  (request) => ensureWorker().request(request),
  (runId, branch) => postToHost({ type: 'branchAdded', runId, branch }),
  new RemoteBranchCards(postToHost),
  (runId) => hostExplorer.requesterFor(runId),
);
runsEl.before(explorer.element);
const openExplorer = (e: Event) => {
  const t = e.target instanceof HTMLElement && e.target.classList.contains('tok') ? e.target : undefined;
  if (t && explorer.openAt(t, state.runs)) e.preventDefault();
};
runsEl.addEventListener('click', openExplorer);
runsEl.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') openExplorer(e);
});
/**
 * Keys go to a control when the panel gets focus ("Focus on Strategies View", a click on the view's
 * title): VS Code focuses the webview's window, and with nothing focused in it keys landed on the
 * body, where they did nothing. Focus returns to the control that had it, else the newest run's
 * header, else the first control of the page.
 */
let lastFocused: HTMLElement | undefined;
document.addEventListener('focusin', (e) => {
  if (e.target instanceof HTMLElement || e.target instanceof SVGElement) lastFocused = e.target as HTMLElement;
});
function focusMainControl(): void {
  const active = document.activeElement;
  if (active && active !== document.body && active !== document.documentElement) return;
  const target = [lastFocused, runsEl.querySelector<HTMLElement>('.run-toggle'), document.querySelector<HTMLElement>('button:not([disabled]), [tabindex="0"]')].find(
    (e): e is HTMLElement => !!e && e.isConnected && !e.closest('[hidden]') && !(e as HTMLButtonElement).disabled,
  );
  // Never scrolls: a click into the panel also focuses its window, and the page must not jump under it.
  target?.focus({ preventScroll: true });
}
window.addEventListener('focus', focusMainControl);

// The model's memory goes with the worker when the panel is closed.
window.addEventListener('pagehide', () => worker?.terminate());

render();
postToHost({ type: 'ready', protocolVersion: PROTOCOL_VERSION });
// The fields as this page restored them are what the next comparison runs with.
runInputs.announce();
