/**
 * The local engine: a CausalLM in this process (onnxruntime-node or WASM), full distribution,
 * our own sampler chain and KV cache. The CLI, prompt tests and tests run it.
 */
import { compareStrategies } from '../../../core/decode/compare';
import type { CompareResult, RefusedStrategy, Strategy } from '../../../core/decode/types';
import { LOCAL_CAPABILITIES, type Engine, type EngineCompareOptions } from '../../../core/engine/types';
import { withPromptFormat } from '../../../core/model/promptFormat';
import type { CausalLM } from '../../../core/model/types';
import type { EngineRoutesOptions, OwnRoutes } from '../../../core/structured/engineRoutes';
import { runStructuredRoutes, type StructuredRoutesResult } from '../../../core/structured/routes';
import { nodeConstraintEngines } from '../../constraintEngines';

/** How the routes' own mask is built for this model. */
export interface LocalMaskOptions {
  /** The model setting it was loaded from: the constraint engines read its folder's tokenizer.json. */
  modelSetting?: string;
  /** The constrained route writes only the properties the schema names (said on its card). */
  strictProperties?: boolean;
}

export class LocalEngine implements Engine, OwnRoutes {
  readonly kind: string = 'local';
  readonly capabilities = LOCAL_CAPABILITIES;

  constructor(
    /** The model itself, for features that need the full distribution (explorer, masks). */
    readonly causalLM: CausalLM,
    private readonly mask: LocalMaskOptions = {},
  ) {}

  get model(): string {
    return this.causalLM.name;
  }

  get where(): string {
    return this.causalLM.device;
  }

  compare(prompt: string, strategies: readonly Strategy[], options: EngineCompareOptions): Promise<CompareResult> {
    const { format, jsonSchema, ...decode } = options;
    // A local model constrains by our own mask (core/structured/routes.ts), never by a schema handed to compare.
    if (jsonSchema) return Promise.reject(new Error('The local engine takes no jsonSchema: constrain a local model with the structured routes\' own mask.'));
    const model = format ? withPromptFormat(this.causalLM, format) : this.causalLM;
    return compareStrategies(model, prompt, strategies, decode);
  }

  /** Our own sampler chain runs every strategy; a schema handed to compare is refused (the mask route constrains locally). */
  refusals(strategies: readonly Strategy[] = [], options: Pick<EngineCompareOptions, 'jsonSchema'> = {}): RefusedStrategy[] {
    if (!options.jsonSchema) return [];
    return strategies.map((strategy) => ({ strategy, reason: 'constrained by a JSON schema: a local model is constrained by our own token mask, not through compare' }));
  }

  /** The four structured-output routes beside the model: the constrained one by our own mask over every logit. */
  async runRoutes(prompt: string, schema: unknown, options: EngineRoutesOptions): Promise<StructuredRoutesResult> {
    const { format, ...routeOptions } = options;
    const engines = nodeConstraintEngines(this.causalLM, this.mask.modelSetting, { strictProperties: this.mask.strictProperties });
    try {
      return await runStructuredRoutes(format ? withPromptFormat(this.causalLM, format) : this.causalLM, prompt, schema, { ...routeOptions, engines });
    } finally {
      engines.dispose();
    }
  }

  dispose(): Promise<void> {
    return this.causalLM.dispose();
  }
}
