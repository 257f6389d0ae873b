/**
 * The panel's model as an engine of the seam: the model loaded in the panel's worker (WebGPU,
 * else WASM), with the full distribution and our own sampler chain. A comparison is one `compare`
 * request to the worker. The worker streams its tokens straight into the run's cards in the
 * webview, so they never cross to the host and back; the host hears only how many arrived.
 */
import type { CompareResult, Strategy } from '../../core/decode/types';
import { LOCAL_CAPABILITIES, type Engine, type EngineCompareOptions } from '../../core/engine/types';
import type { EngineRoutesOptions, OwnRoutes } from '../../core/structured/engineRoutes';
import { revalidateRoutes, STRUCTURED_DEFAULTS, type StructuredRoutesResult } from '../../core/structured/routes';
import { checkSchema } from '../../core/structured/schema';
import { strategyFromSettings } from '../../core/decode/strategies';
import type { JsonSchema, RunOptions } from '../../protocol/messages';
import type { ModelRequest, ProgressOf, ReplyOf, RequestReplies } from '../../protocol/requests';
import type { LoadedModel } from '../modelSession';
import type { PanelProvider } from '../panelProvider';
import { cancellationOf, newRequestId, request as panelRequest } from '../requests';
import { strategyViews } from '../strategyViews';

/**
 * How long a stopped comparison may take to hand back its partial result before it is given up.
 * Only a panel that no longer answers takes this long; on a loaded machine 3 s was too short and
 * a stopped run lost its partial result.
 */
const STOP_GRACE_MS = 10_000;
/** How long a stopped JSON run may take to hand back the routes it finished. */
const ROUTES_STOP_GRACE_MS = 3_000;

/** The run a comparison belongs to: its cards show the worker's tokens. */
export interface PanelRun {
  /** The run's id: the worker's tokens go to the cards of the run with this id. */
  id: string;
  /** How many tokens the worker has streamed into the cards so far (a running total). */
  onTokensShown?(count: number): void;
}

export class PanelEngine implements Engine, OwnRoutes {
  readonly kind = 'panel';
  readonly capabilities = LOCAL_CAPABILITIES;

  constructor(
    private readonly panel: PanelProvider,
    readonly loaded: LoadedModel,
    /** Absent: the comparison is no run's (a prompt test case); its tokens show nowhere. */
    private readonly run?: PanelRun,
  ) {}

  get model(): string {
    return this.loaded.name;
  }

  get where(): string {
    return this.loaded.backend;
  }

  get backend(): LoadedModel['backend'] {
    return this.loaded.backend;
  }

  get dtype(): LoadedModel['dtype'] {
    return this.loaded.dtype;
  }

  /** Our own chain runs every stage of every strategy: nothing is refused. */
  refusals(): [] {
    return [];
  }

  async compare(prompt: string, strategies: readonly Strategy[], options: EngineCompareOptions): Promise<CompareResult> {
    let shown = 0;
    const reply = await this.ask(
      {
        type: 'compare',
        requestId: this.run?.id ?? newRequestId('compare'),
        prompt,
        strategies: strategyViews(strategies),
        options: runOptionsOf(options),
        ...(options.firstSample !== undefined ? { firstSample: options.firstSample } : {}),
        ...(options.topAlternatives !== undefined ? { topAlternatives: options.topAlternatives } : {}),
      },
      options.signal,
      STOP_GRACE_MS,
      (event) => {
        shown += event.count;
        this.run?.onTokensShown?.(shown);
      },
    );
    return reply.result;
  }

  /**
   * A JSON run's four routes, run in the worker beside the model: its token masks need every
   * logit at every step, which never leave the worker. Each verdict is ajv's, given here: the
   * worker's own validator is eval-free and may let through what ajv refuses.
   */
  async runRoutes(prompt: string, schema: unknown, options: EngineRoutesOptions): Promise<StructuredRoutesResult> {
    const checked = checkSchema(schema, options.schemaSource);
    const reply = await this.ask(
      {
        type: 'structured',
        requestId: this.run?.id ?? newRequestId('json'),
        prompt,
        strategy: strategyViews([options.strategy ?? DEFAULT_ROUTE_STRATEGY])[0]!,
        options: runOptionsOf({ maxNewTokens: options.maxNewTokens ?? STRUCTURED_DEFAULTS.maxNewTokens, seed: options.seed ?? STRUCTURED_DEFAULTS.seed, samples: options.samples ?? STRUCTURED_DEFAULTS.samples, format: options.format }),
        maxRetries: options.maxRetries ?? STRUCTURED_DEFAULTS.maxRetries,
        schema: schema as JsonSchema,
        schemaSource: options.schemaSource ?? 'the schema',
      },
      options.signal,
      ROUTES_STOP_GRACE_MS,
      (event) => {
        if (event.type === 'routeDone') for (const route of revalidateRoutes([event.result], checked)) options.onRoute?.(route);
      },
    );
    return { ...reply.result, routes: revalidateRoutes(reply.result.routes, checked) };
  }

  /** One request to the worker, stopped when `signal` aborts: a stopped request has `graceMs` to hand back its partial result. */
  private async ask<M extends ModelRequest>(message: M, signal: AbortSignal | undefined, graceMs: number, onProgress: (event: ProgressOf<RequestReplies, M['type']>) => void): Promise<ReplyOf<RequestReplies, M['type']>> {
    const stop = cancellationOf(signal);
    try {
      return await panelRequest(this.panel, message, { token: stop.token, cancelGraceMs: graceMs, onProgress });
    } finally {
      stop.dispose();
    }
  }

  /** The model stays loaded in the worker for the next run; the model session unloads it. */
  async dispose(): Promise<void> {}
}

/** The routes' default strategy where none is given (core/structured/routes.ts's). */
const DEFAULT_ROUTE_STRATEGY = strategyFromSettings({ kind: 'temperature', temperature: 1.0 });

/** The seam's options as the worker's `compare` request carries them. */
function runOptionsOf(options: Pick<EngineCompareOptions, 'maxNewTokens' | 'seed' | 'samples' | 'stopStrings' | 'format'>): RunOptions {
  return {
    maxNewTokens: options.maxNewTokens,
    seed: options.seed,
    samples: options.samples ?? 1,
    ...(options.stopStrings ? { stopStrings: options.stopStrings } : {}),
    ...(options.format?.chat !== undefined ? { chat: options.format.chat } : {}),
    ...(options.format?.system !== undefined ? { system: options.format.system } : {}),
  };
}
