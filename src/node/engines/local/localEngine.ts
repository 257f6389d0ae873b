/**
 * The local engine: a CausalLM in this process (onnxruntime-node or WASM), full distribution,
 * our own sampler chain and KV cache. The CLI, prompt tests and tests run it.
 */
import { compareStrategies } from '../../../core/decode/compare';
import type { CompareResult, RefusedStrategy, Strategy } from '../../../core/decode/types';
import { LOCAL_CAPABILITIES, type Engine, type EngineCompareOptions } from '../../../core/engine/types';
import { withPromptFormat } from '../../../core/model/promptFormat';
import type { CausalLM } from '../../../core/model/types';

export class LocalEngine implements Engine {
  readonly kind: string = 'local';
  readonly capabilities = LOCAL_CAPABILITIES;

  constructor(
    /** The model itself, for features that need the full distribution (explorer, masks). */
    readonly causalLM: CausalLM,
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

  dispose(): Promise<void> {
    return this.causalLM.dispose();
  }
}
