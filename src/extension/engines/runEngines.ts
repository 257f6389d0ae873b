/**
 * The one place a `samplingLab.model` value becomes an engine: a server the user added
 * (`endpoint:NAME`) opens its remote engine here in the host; any other value is the panel's
 * model, loaded in its worker. Features take the Engine and ask its capabilities; none of them
 * asks which kind it got.
 */
import * as vscode from 'vscode';
import type { RefusedStrategy } from '../../core/decode/types';
import { branchingRefusal, capabilityNotes, type Engine } from '../../core/engine/types';
import type { PromptFormat } from '../../core/model/promptFormat';
import type { DevicePreference, RunEngine } from '../../protocol/messages';
import { selectedEndpoint, type EndpointEngines } from '../endpoints';
import type { ModelSession } from '../modelSession';
import type { PanelProvider } from '../panelProvider';
import { abortSignalOf } from '../requests';
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
  ) {}

  async open(model: string, device: DevicePreference, token: vscode.CancellationToken, run?: PanelRun): Promise<Engine> {
    const endpoint = selectedEndpoint(model);
    if (!endpoint) {
      // The model lives in the panel's webview: it must run before the model can load there.
      await this.panel.ensureRunning();
      return new PanelEngine(this.panel, await this.session.ensureLoaded(model, device, token), run);
    }
    const opening = abortSignalOf(token);
    try {
      return await this.endpoints.open(endpoint, opening.signal);
    } finally {
      opening.dispose();
    }
  }

  cacheIdentity(model: string): string | undefined {
    return selectedEndpoint(model) ? undefined : this.session.resolve(model).fingerprint;
  }
}

/**
 * What a run's record says of an engine that is not a full local one (a server): who sampled,
 * what the explorer can show, what its capabilities change, the strategies it refused and how a
 * card branches. Nothing for an engine with the full distribution that runs our own chain.
 */
export function runEngineOf(engine: Engine, modelSetting: string | undefined, refusals: readonly RefusedStrategy[], format: PromptFormat | undefined): { engine?: RunEngine } {
  const caps = engine.capabilities;
  if (caps.sampling === 'client' && caps.distribution === 'full' && refusals.length === 0) return {};
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
    },
  };
}
