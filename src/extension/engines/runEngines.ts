/**
 * The one place a `samplingLab.model` value becomes an engine: a server the user added
 * (`endpoint:NAME`) opens its remote engine here in the host; a .gguf file opens the llama.cpp
 * engine here in the host (ggufEngines.ts); any other value is the panel's model, loaded in its
 * worker. Features take the Engine and ask its capabilities; none of them
 * asks which kind it got.
 */
import * as vscode from 'vscode';
import type { RefusedStrategy } from '../../core/decode/types';
import { branchingRefusal, capabilityNotes, type Engine } from '../../core/engine/types';
import { isWebviewBackend } from '../../core/model/backends';
import { isGgufPath } from '../../node/engines/llamacpp/llamaCppModel';
import type { PromptFormat } from '../../core/model/promptFormat';
import type { DevicePreference, RunEngine } from '../../protocol/messages';
import { selectedEndpoint, type EndpointEngines } from '../endpoints';
import type { ModelSession } from '../modelSession';
import type { PanelProvider } from '../panelProvider';
import { abortSignalOf } from '../requests';
import { resolveGguf, type GgufEngines } from './ggufEngines';
import { PanelEngine, type PanelRun } from './panelEngine';

export interface RunEngines {
  /**
   * The engine that runs `model`, opened (a server's models listed, the panel's model loaded)
   * under `token`. `run`: the panel run whose cards show the tokens, where the engine shows them
   * itself. Rejects when it cannot open, and when `token` is cancelled first.
   */
  open(model: string, device: DevicePreference, token: vscode.CancellationToken, run?: PanelRun): Promise<Engine>;
  /**
   * The model's content identity for the response cache, or undefined: its runs are never cached,
   * since the model behind a server's id can change without the id changing.
   */
  cacheIdentity(model: string): string | undefined;
}

export class HostRunEngines implements RunEngines {
  constructor(
    private readonly panel: PanelProvider,
    private readonly session: ModelSession,
    private readonly endpoints: EndpointEngines,
    private readonly gguf: GgufEngines,
  ) {}

  async open(model: string, device: DevicePreference, token: vscode.CancellationToken, run?: PanelRun): Promise<Engine> {
    if (isGgufPath(model)) return this.inHost(token, (signal) => this.gguf.open(model, signal));
    const endpoint = selectedEndpoint(model);
    if (!endpoint) {
      // The model lives in the panel's webview: it must run before the model can load there.
      await this.panel.ensureRunning();
      return new PanelEngine(this.panel, await this.session.ensureLoaded(model, device, token), run);
    }
    return this.inHost(token, (signal) => this.endpoints.open(endpoint, signal));
  }

  /** An engine opened in this host, stopped when `token` is cancelled. */
  private async inHost(token: vscode.CancellationToken, open: (signal: AbortSignal) => Promise<Engine>): Promise<Engine> {
    const opening = abortSignalOf(token);
    try {
      return await open(opening.signal);
    } finally {
      opening.dispose();
    }
  }

  cacheIdentity(model: string): string | undefined {
    if (isGgufPath(model)) {
      const { fingerprint } = resolveGguf(model);
      return fingerprint.startsWith('missing:') ? undefined : `gguf:${fingerprint}`;
    }
    return selectedEndpoint(model) ? undefined : this.session.resolve(model).fingerprint;
  }
}

/**
 * What a run's record says of an engine that is not the panel's own model (a server, llama.cpp in
 * the host): who sampled, what the explorer can show, what its capabilities change, the strategies
 * it refused and how a card branches. Nothing for the panel's model, whose worker the explorer asks.
 */
export function runEngineOf(engine: Engine, modelSetting: string | undefined, refusals: readonly RefusedStrategy[], format: PromptFormat | undefined): { engine?: RunEngine } {
  const caps = engine.capabilities;
  const inPanel = isWebviewBackend(engine.backend);
  const fullHere = caps.sampling === 'client' && caps.distribution === 'full';
  if (fullHere && inPanel && refusals.length === 0) return {};
  const branchRefused = branchingRefusal(caps, format?.chat === true);
  return {
    engine: {
      sampledBy: caps.sampling === 'server' ? `the server (${engine.where})` : engine.where,
      distribution: caps.distribution,
      maxTopLogprobs: Number.isFinite(caps.maxTopLogprobs) ? caps.maxTopLogprobs : 0,
      notes: capabilityNotes(caps),
      refused: refusals.map((r) => ({ strategy: r.strategy.name, reason: r.reason })),
      ...(modelSetting !== undefined ? { modelSetting } : {}),
      ...(branchRefused ? { branchRefused } : {}),
      // The explorer asks the host, which holds this model, rather than the panel's worker.
      ...(fullHere && !inPanel ? { explorer: 'host' as const } : {}),
    },
  };
}

