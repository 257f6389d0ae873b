/**
 * Generate JSON for Selection, in the model worker: the core's four structured-output routes on
 * the loaded model, each route's result posted as it finishes.
 *
 * ajv compiles each schema's validator with `new Function`, which is why the panel's CSP allows
 * 'unsafe-eval' (a blob: worker inherits the page's policy); see panelHtml.ts.
 */
import type { CausalLM } from '../src/core/model/types';
import { runStructuredRoutes } from '../src/core/structured/routes';
import type { StructuredRequest, WorkerEvent } from '../src/protocol/messages';
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
    signal,
    onRoute: (route) => post({ type: 'routeDone', requestId, result: route }),
  });
  post({ type: 'structuredDone', requestId, result });
}
