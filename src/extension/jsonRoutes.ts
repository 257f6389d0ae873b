/**
 * A JSON run's four routes on whatever engine runs the model: the panel's model runs them in its
 * worker, beside the logits its masks need; a server's engine runs them here, the server sampling
 * every try and enforcing the schema on the constrained route by its json_schema. ajv gives every
 * verdict, and a route an engine cannot run says why on its card.
 */
import type { EngineRoutesOptions } from '../core/structured/engineRoutes';
import type { RouteResult } from '../core/structured/routes';
import type { Strategy } from '../core/decode/types';
import type { JsonSchema, RunOptions, RunRecord } from '../protocol/messages';
import { runPromptFormat } from './settings';
import { strategyViews } from './strategyViews';

/** What a JSON run asks, wherever it runs (structuredRuns.ts adds the model setting and device). */
export interface JsonRunRequest {
  prompt: string;
  schema: JsonSchema;
  /** Where the schema came from, for the panel and for error messages. */
  schemaSource: string;
  /** The strategy every route samples with. */
  strategy: Strategy;
  /** maxNewTokens per try, the base seed, and test-time compute's N as `samples`. */
  options: RunOptions;
  maxRetries: number;
  insertAt?: RunRecord['insertAt'];
}

/** A JSON run's record as it starts, on `model`, with no route finished. */
export function startJsonRecord(id: string, request: JsonRunRequest, model: string): RunRecord {
  return {
    id,
    kind: 'json',
    startedAt: new Date().toISOString(),
    prompt: request.prompt,
    model,
    options: request.options,
    strategies: strategyViews([request.strategy]),
    status: 'running',
    insertAt: request.insertAt,
    structured: { schema: request.schema, schemaSource: request.schemaSource, maxRetries: request.maxRetries, routes: [] },
  };
}

/** Each route's verdict, for the log line that ends a run. */
export function routeVerdicts(routes: readonly RouteResult[]): string {
  return routes.map((r) => `${r.route} ${r.error ? 'not run' : r.valid ? 'valid' : 'invalid'}`).join(', ');
}

/** The run's routes as any engine runs them (core/structured/engineRoutes.ts), each reported as it finishes. */
export function jsonRouteOptions(request: JsonRunRequest, signal: AbortSignal, onRoute: (route: RouteResult) => void): EngineRoutesOptions {
  const format = runPromptFormat(request.options);
  return {
    strategy: request.strategy,
    seed: request.options.seed,
    maxNewTokens: request.options.maxNewTokens,
    maxRetries: request.maxRetries,
    samples: request.options.samples,
    schemaSource: request.schemaSource,
    ...(format ? { format } : {}),
    signal,
    onRoute,
  };
}
