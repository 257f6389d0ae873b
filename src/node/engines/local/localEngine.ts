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
    const { format, ...decode } = options;
    const model = format ? withPromptFormat(this.causalLM, format) : this.causalLM;
    return compareStrategies(model, prompt, strategies, decode);
  }

  /** Our own sampler chain runs every strategy. */
  refusals(): RefusedStrategy[] {
    return [];
  }

  dispose(): Promise<void> {
    return this.causalLM.dispose();
  }
}
