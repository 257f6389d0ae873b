/**
 * Sampling Lab's extension host side: commands, the side panel, the status bar item, settings
 * and history. The model itself runs in the panel's webview (worker); this side never loads it.
 */
import * as vscode from 'vscode';
import { keepBranch } from './branches';
import { calibrateRisk, type CalibrateRiskArgs } from './commands/calibrateRisk';
import { checkRisk, type CheckRiskArgs } from './commands/checkRisk';
import { compareModels, type CompareModelsArgs } from './commands/compareModels';
import { compareSelection, type CompareArgs } from './commands/compareSelection';
import { addEndpoint, setEndpointApiKey, type AddEndpointArgs, type SetEndpointKeyArgs } from './commands/endpointCommands';
import { EndpointEngines, selectedEndpoint } from './endpoints';
import { GgufEngines } from './engines/ggufEngines';
import { HostRunEngines } from './engines/runEngines';
import { generateJson, type GenerateJsonArgs } from './commands/generateJson';
import { sampleWithSettings, type SampleArgs } from './commands/sampleWithSettings';
import { selectModel, type SelectModelArgs } from './commands/selectModel';
import { pullForEditor, setHubToken } from './hubModels';
import { showAnatomy } from './commands/showAnatomy';
import { maxRunsSetting, RunHistory } from './history';
import { clearHistory, deleteRun, exportHistory, exportRun, showHistory, type ExportArgs as RunExportArgs } from './commands/historyCommands';
import { insertCompletion } from './insertCompletion';
import { ModelSession } from './modelSession';
import { PANEL_VIEW_ID, PanelProvider, type PanelEvent } from './panelProvider';
import { chooseScorer, exportPreferencesCommand, type ExportArgs } from './preferences/preferenceCommands';
import { PREFERENCES_VIEW_ID, PreferencesView } from './preferences/preferencesView';
import { expandPreferencesOnce } from './preferences/expandPreferences';
import { recordPreference } from './preferences/recordPreference';
import { PromptTestController } from './promptTests/promptTestController';
import { PromptTestRunner } from './promptTests/runPromptTests';
import { reportError } from './reportError';
import { ResponseCache } from './responseCache';
import { RiskCalibrations } from './riskCalibrations';
import { RiskMarks } from './riskMarks';
import { RemoteBranches } from './remoteBranches';
import { HostExplorer } from './hostExplorer';
import { isGgufPath } from '../node/engines/llamacpp/llamaCppModel';
import { Runner } from './runner';
import { RunInputs } from './runInputs';
import { readSettings, SECTION } from './settings';
import { saveStrategies, strategySettingsUpdate } from './strategySettings';
import { StructuredRuns } from './structuredRuns';
import { createModelStatusItem, showModelState } from './statusBar';
import type { PanelEventOutcome, SamplingLabApi } from './api';

export function activate(context: vscode.ExtensionContext): SamplingLabApi {
  const log = vscode.window.createOutputChannel('Sampling Lab', { log: true });
  const panel = new PanelProvider(context.extensionUri, log);
  const history = new RunHistory(context.workspaceState, log, maxRunsSetting);
  const session = new ModelSession(panel, context.extensionUri, log, safeModelName(), context.secrets);
  const cache = new ResponseCache(context.workspaceState, log);
  const calibrations = new RiskCalibrations(context.globalStorageUri, context.extensionUri, log);
  const endpointEngines = new EndpointEngines(context.secrets, log);
  const runInputs = new RunInputs(context.workspaceState);
  const ggufEngines = new GgufEngines(log);
  const engines = new HostRunEngines(panel, session, endpointEngines, ggufEngines);
  const runner = new Runner(panel, session, history, cache, log, (model) => calibrations.forModel(model), engines);
  const remoteBranches = new RemoteBranches({
    runOf: (runId) => history.cardsOf(runId),
    // Branching by continuation: only a server's engine continues a text prefix (the panel's model branches from its cache).
    engineFor: (model, signal) => {
      const endpoint = selectedEndpoint(model);
      return endpoint ? endpointEngines.open(endpoint, signal) : undefined;
    },
    post: (message) => panel.post(message),
    keep: async (runId, branch) => {
      const kept = await keepBranch(history, { type: 'branchAdded', runId, branch });
      if ('error' in kept) throw new Error(kept.error);
      await panel.post({ type: 'runUpdated', run: kept.run }).catch(() => undefined);
    },
    log: (message) => log.info(message),
  });
  const hostExplorer = new HostExplorer({
    runOf: (runId) => history.cardsOf(runId),
    // Only a GGUF file's engine lives here with the full distribution; the record's setting is the host's own.
    engineFor: (setting) => (isGgufPath(setting) ? ggufEngines.open(setting) : undefined),
  });
  const structuredRuns = new StructuredRuns(runner, panel, engines, history, log);
  const riskMarks = new RiskMarks();
  const preferences = new PreferencesView(log);
  const preferencesTree = vscode.window.createTreeView(PREFERENCES_VIEW_ID, { treeDataProvider: preferences });
  const promptTestRunner = new PromptTestRunner(panel, session, engines, log, (model) => calibrations.forModel(model), endpointEngines);
  const promptTests: PromptTestController = new PromptTestController(async (request, token) => {
    await promptTestRunner.run(promptTests, request, token);
  }, log);
  const statusItem = createModelStatusItem();
  /** Stop means "stop the model": the run in progress and a prompt test run, when both run. True if anything was running. */
  const stopAll = (): boolean => {
    const stoppedRun = runner.stop();
    const stoppedTests = promptTestRunner.stop();
    const stoppedBranches = remoteBranches.stop();
    return stoppedRun || stoppedTests || stoppedBranches;
  };
  let lastError: string | undefined;

  /** Fires once each panel event has been handled (tests wait on it instead of a timer). */
  const handled = new vscode.EventEmitter<PanelEventOutcome>();

  showModelState(statusItem, session.current);

  /** Wraps a command: errors become a message naming the fix, never an unhandled rejection. */
  const command = <A extends unknown[], R>(id: string, run: (...args: A) => Promise<R>) =>
    vscode.commands.registerCommand(id, async (...args: A): Promise<R | undefined> => {
      try {
        return await run(...args);
      } catch (e) {
        lastError = reportError(e, log);
        return undefined;
      }
    });

  context.subscriptions.push(
    log,
    handled,
    panel,
    session,
    endpointEngines,
    ggufEngines,
    runner,
    riskMarks,
    preferences,
    promptTests,
    promptTestRunner,
    statusItem,
    preferencesTree,
    expandPreferencesOnce(preferencesTree, preferences, context.workspaceState, panel, log),
    vscode.window.registerWebviewViewProvider(PANEL_VIEW_ID, panel, { webviewOptions: { retainContextWhenHidden: true } }),
    session.onDidChange((state) => showModelState(statusItem, state)),
    panel.onReady(() => {
      void panel.post(history.update()).catch(() => undefined);
      void panel.post(strategySettingsUpdate()).catch(() => undefined);
      postRunDefaults();
    }),
    panel.onEvent((event) => void onPanelEvent(event).then((outcome) => handled.fire({ event, ...outcome }))),
    vscode.workspace.onDidChangeConfiguration((e) => {
      // Shown even when nothing was dropped: the panel keeps its list to the new limit too.
      if (e.affectsConfiguration(`${SECTION}.history.maxRuns`)) void history.trim().then(() => showHistory(panel, history));
      // The panel's strategy editor follows the setting, however it was changed.
      if (e.affectsConfiguration(`${SECTION}.strategies`) && panel.webview) void panel.post(strategySettingsUpdate()).catch(() => undefined);
      if (e.affectsConfiguration(`${SECTION}.maxNewTokens`) && panel.webview) postRunDefaults();
      if (!e.affectsConfiguration(`${SECTION}.model`) && !e.affectsConfiguration(`${SECTION}.device`)) return;
      if (session.current.status !== 'ready') showModelState(statusItem, { status: 'none', name: safeModelName() });
      try {
        const s = readSettings();
        void session.settingsChanged(s.model, s.device);
        void ggufEngines.settingsChanged(s.model);
      } catch (e) {
        lastError = reportError(e, log);
      }
    }),
    command('samplingLab.compareSelection', (args?: CompareArgs) => compareSelection(runner, args, () => runInputs.current())),
    command('samplingLab.compareModels', (args?: CompareModelsArgs) => compareModels(runner, args, () => runInputs.current())),
    command('samplingLab.sampleWithSettings', (args?: SampleArgs) => sampleWithSettings(runner, context.globalState, args)),
    command('samplingLab.checkRisk', (args?: CheckRiskArgs) => checkRisk(runner, args)),
    command('samplingLab.calibrateRisk', (args?: CalibrateRiskArgs) =>
      calibrateRisk({ runner, engines, calibrations, extensionUri: context.extensionUri, log }, args),
    ),
    command('samplingLab.generateJson', (args?: GenerateJsonArgs) => generateJson(structuredRuns, args)),
    command('samplingLab.clearRiskMarks', async () => riskMarks.clear()),
    command('samplingLab.selectModel', (args?: SelectModelArgs) => selectModel({ session, extensionUri: context.extensionUri, endpoints: endpointEngines, gguf: ggufEngines }, args)),
    command('samplingLab.setHubToken', () => setHubToken(context.secrets)),
    command('samplingLab.addEndpoint', (args?: AddEndpointArgs) => addEndpoint(log, args)),
    command('samplingLab.setEndpointApiKey', (args?: SetEndpointKeyArgs) => setEndpointApiKey(context.secrets, log, args)),
    command('samplingLab.stop', async () => {
      if (!stopAll()) void vscode.window.setStatusBarMessage('Sampling Lab: nothing is running.', 3000);
    }),
    command('samplingLab.showLog', async () => log.show()),
    command('samplingLab.exportRun', (args?: RunExportArgs) => exportRun(history, args)),
    command('samplingLab.exportHistory', (args?: Omit<RunExportArgs, 'runId'>) => exportHistory(history, args)),
    command('samplingLab.deleteRun', (args?: { runId?: string }) => deleteRun(history, panel, args)),
    command('samplingLab.clearHistory', (args?: { confirmed?: boolean }) => clearHistory(history, panel, args)),
    command('samplingLab.showAnatomy', () =>
      showAnatomy(context.extensionUri, (id) => {
        const s = readSettings();
        return pullForEditor(id, { dtype: s.dtype, device: 'wasm', settings: s.hub, secrets: context.secrets, log });
      }),
    ),
    command('samplingLab.preferences.refresh', async () => preferences.refresh()),
    command('samplingLab.preferences.chooseScorer', (args?: Parameters<typeof chooseScorer>[0]) => chooseScorer(args)),
    command('samplingLab.preferences.export', (args?: ExportArgs) => exportPreferencesCommand(preferences, args)),
    command('samplingLab.preferences.openFile', async () => {
      const file = preferences.file();
      if (!file) throw new Error('Sampling Lab: open a folder first: preference pairs are kept in .sampling-lab/preferences.jsonl in the workspace.');
      await vscode.window.showTextDocument(file);
    }),
  );

  /** The panel's Max tokens field shows the setting's value until the user types their own. */
  function postRunDefaults(): void {
    let maxNewTokens: number;
    try {
      maxNewTokens = readSettings().options.maxNewTokens;
    } catch {
      return; // A broken setting is reported when a run reads it.
    }
    void panel.post({ type: 'runDefaults', maxNewTokens }).catch(() => undefined);
  }

  async function onPanelEvent(event: PanelEvent): Promise<Omit<PanelEventOutcome, 'event'>> {
    switch (event.type) {
      case 'insert':
        try {
          const run = history.cardsOf(event.runId);
          const inserted = await insertCompletion(run?.insertAt, event.text);
          // The inserted answer's own report: the card's, and only while its text is unchanged.
          const report = run?.risks?.find((r) => r.mainStrategy === event.strategy && r.answer === event.text);
          return { marked: report ? riskMarks.mark(inserted.document, inserted.startOffset, report) : 0 };
        } catch (e) {
          lastError = reportError(e, log);
          return { error: lastError };
        }
      case 'prefer': {
        const reply = { type: 'preferenceRecorded', runId: event.runId, chosen: event.chosen, rejected: event.rejected } as const;
        try {
          const recorded = recordPreference(event, history.get(event.runId));
          log.info(`Preference recorded in ${recorded.file}: ${recorded.record.chosen_strategy} over ${recorded.record.rejected_strategy}.`);
          preferences.refresh();
          await panel.post({ ...reply, file: recorded.shownAs }).catch(() => undefined);
        } catch (e) {
          // A mark the host cannot record (a PreferenceInputError, or the file) is answered in
          // the panel, where the user made it.
          const reason = (e as Error).message;
          log.warn(`Cannot record the pair: ${reason}`);
          lastError = `Sampling Lab: Cannot record the pair: ${reason}`;
          await panel.post({ ...reply, error: reason }).catch(() => undefined);
          return { error: lastError };
        }
        break;
      }
      case 'branchAdded': {
        const kept = await keepBranch(history, event);
        if ('error' in kept) {
          log.warn(`Panel: ${kept.error}.`);
          return { error: kept.error };
        }
        await panel.post({ type: 'runUpdated', run: kept.run }).catch(() => undefined);
        break;
      }
      case 'branchContinue': {
        const branch = await remoteBranches.start(event);
        if (branch.state === 'failed') return { error: branch.error };
        break;
      }
      case 'branchStop':
        remoteBranches.stop(event.branchId);
        break;
      case 'hostExplorer': {
        const reply = await hostExplorer.answer(event);
        await panel.post({ type: 'hostExplorerReply', reply }).catch(() => undefined);
        return reply.type === 'explorerFailed' ? { explorer: reply, error: reply.error } : { explorer: reply };
      }
      case 'copy':
        await vscode.env.clipboard.writeText(event.text);
        vscode.window.setStatusBarMessage('Sampling Lab: completion copied.', 3000);
        break;
      case 'stop':
        // The panel's button is the command's: it stops a prompt test run too.
        stopAll();
        break;
      case 'saveStrategies': {
        const reply = await saveStrategies(event, log).catch((e: Error) => strategySettingsUpdate({ saved: false, error: `Not saved: ${e.message}` }));
        await panel.post(reply).catch(() => undefined);
        if (reply.error) return { error: reply.error };
        break;
      }
      case 'runInputs': {
        const refused = await runInputs.set(event);
        if (refused) {
          log.warn(refused);
          lastError = refused;
          return { error: refused };
        }
        break;
      }
      case 'runAction':
        try {
          if (event.action === 'delete') await deleteRun(history, panel, { runId: event.runId });
          else await exportRun(history, { runId: event.runId, format: event.action === 'exportJson' ? 'json' : 'markdown' });
        } catch (e) {
          lastError = reportError(e, log);
          return { error: lastError };
        }
        break;
      case 'log':
        log[event.level](`[panel] ${event.message}`);
        break;
      case 'protocolError':
        log.error(event.error);
        lastError = event.error;
        break;
      case 'readFile':
        break; // served by ModelSession
    }
    return {};
  }

  log.info('Sampling Lab activated.');
  return {
    receiveFromPanel: (raw) => panel.receive(raw),
    postToPanel: async (raw) => {
      await panel.reveal();
      return panel.webview!.postMessage(raw);
    },
    onPanelEvent: panel.onEvent,
    onTokens: runner.onTokens,
    onDidStartRun: runner.onDidStart,
    onDidHandlePanelEvent: handled.event,
    modelState: () => session.current,
    onDidChangeModelState: session.onDidChange,
    releaseModel: () => session.unload('released through the API'),
    history: () => history.all(),
    clearHistory: () => history.clear(),
    preferenceItems: () => preferences.getChildren(),
    preferencesViewVisible: () => preferencesTree.visible,
    promptTests: {
      discover: async () => {
        await promptTests.rediscover();
        return promptTests.snapshot();
      },
      run: async (ids, token) => {
        await promptTests.discoverAll();
        const request = new vscode.TestRunRequest(ids ? promptTests.itemsWithIds(ids) : undefined);
        return promptTestRunner.run(promptTests, request, token ?? new vscode.CancellationTokenSource().token);
      },
      onDidFinish: promptTestRunner.onDidFinish,
      onDidStartCase: promptTestRunner.onDidStartCase,
    },
    lastError: () => lastError,
    resources: () => ({ ...panel.resources(), runsInProgress: runner.running ? 1 : 0, promptTestRuns: promptTestRunner.activeRuns }),
  };
}

/** The model's display name for the status bar, even when the setting is unusable. */
function safeModelName(): string {
  try {
    const model = readSettings().model;
    return model.split(/[\\/]/).filter(Boolean).pop() ?? model;
  } catch {
    return 'facts-lm';
  }
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}
