/**
 * The four structured-output routes on any engine of the seam. An engine that holds the model's
 * full distribution runs them beside it (`runRoutes`: our own mask needs every logit at every
 * step, which never leave the engine); any other engine samples each try through `compare`, and
 * its own json_schema is the constrained route (engineSampler.ts). Features call `routesOn` and
 * never ask which kind of engine they have.
 */
import type { Engine } from '../engine/types';
import type { PromptFormat } from '../model/promptFormat';
import { engineRouteSampler } from './engineSampler';
import { runRoutesOn, STRUCTURED_DEFAULTS, type StructuredRouteOptions, type StructuredRoutesResult } from './routes';
import { strategyFromSettings } from '../decode/strategies';

export interface EngineRoutesOptions extends Omit<StructuredRouteOptions, 'engines'> {
  /** Raw or chat, and the system message (undefined: the engine's default). */
  format?: PromptFormat;
}

export type RunRoutes = (prompt: string, schema: unknown, options: EngineRoutesOptions) => Promise<StructuredRoutesResult>;

/** An engine that runs the routes beside its model itself. */
export interface OwnRoutes {
  runRoutes: RunRoutes;
}

function hasOwnRoutes(engine: Engine): engine is Engine & OwnRoutes {
  return typeof (engine as Partial<OwnRoutes>).runRoutes === 'function';
}

/** How the routes run on `engine`: beside its model where it runs them, else each try a `compare` on it. */
export function routesOn(engine: Engine): RunRoutes {
  if (hasOwnRoutes(engine)) return engine.runRoutes.bind(engine);
  return routesByCompare(engine);
}

/** Each route's tries sampled through `compare`; the constrained route as the engine's capabilities allow (engineSampler.ts). */
export function routesByCompare(engine: Engine): RunRoutes {
  return (prompt, schema, options) => {
    const strategy = options.strategy ?? strategyFromSettings({ kind: 'temperature', temperature: 1.0 });
    const maxNewTokens = options.maxNewTokens ?? STRUCTURED_DEFAULTS.maxNewTokens;
    const sampler = engineRouteSampler(engine, { strategy, maxNewTokens, format: options.format, schemaSource: options.schemaSource, signal: options.signal });
    return runRoutesOn(sampler, prompt, schema, { ...options, strategy, maxNewTokens });
  };
}
