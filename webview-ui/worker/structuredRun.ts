/**
 * Generate JSON for Selection, in the model worker: the core's four structured-output routes on
 * the loaded model, each route's result posted as it finishes.
 *
 * ajv compiles each schema's validator with `new Function`, which the panel's CSP forbids (a
 * blob: worker inherits the page's policy), so the routes validate with an eval-free library here
 * and the extension host gives the final verdict with ajv (structuredRuns.ts).
 */
import type { CausalLM } from '../../src/core/model/types';
import { compileEvalFree } from '../../src/core/structured/evalFreeValidator';
import { runStructuredRoutes } from '../../src/core/structured/routes';
import type { StructuredRequest, WorkerEvent } from '../../src/protocol/messages';
import type { StructuredEngines } from './structuredEngines';
import { yieldingModel } from './yieldingModel';

export async function runStructuredRequest(
  model: CausalLM,
  engines: StructuredEngines,
  request: StructuredRequest,
  signal: AbortSignal,
  post: (event: WorkerEvent) => void,
): Promise<void> {
  const { requestId } = request;
  const result = await runStructuredRoutes(yieldingModel(model), request.prompt, request.schema, {
    engines: await engines.forModel(model),
    strategy: request.strategy.strategy,
    seed: request.options.seed,
    maxNewTokens: request.options.maxNewTokens,
    maxRetries: request.maxRetries,
    samples: request.options.samples,
    schemaSource: request.schemaSource,
    compileValidator: compileEvalFree,
    signal,
    onRoute: (route) => post({ type: 'routeDone', requestId, result: route }),
  });
  post({ type: 'structuredDone', requestId, result });
}
