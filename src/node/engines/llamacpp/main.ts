/** Registers the llama.cpp engine: a GGUF file run in this process by node-llama-cpp's prebuilt CPU binaries. */
import type { PromptFormat } from '../../../core/model/promptFormat';
import { withPromptFormat } from '../../../core/model/promptFormat';
import type { ThreadsChoice } from '../../../core/model/threads';
import type { CausalLM } from '../../../core/model/types';
import { LocalEngine } from '../local/localEngine';
import { registerEngineProvider, type EngineSpec } from '../registry';
import { loadGgufModel } from './llamaCppModel';

export interface LlamaCppEngineSpec extends EngineSpec {
  kind: 'llamacpp';
  /** An already loaded GGUF model (the CLI's own loader); otherwise `file` is loaded. */
  causalLM?: CausalLM;
  /** The .gguf file. */
  file?: string;
  threads?: ThreadsChoice;
  contextSize?: number;
  format?: PromptFormat;
  onLog?: (line: string) => void;
  /** The structured routes' mask option. */
  strictProperties?: boolean;
}

/**
 * The llama.cpp engine: the local engine's capabilities (full distribution, our sampler chain,
 * KV cache, seeds), since the model hands our decode loop every token's probability.
 */
export class LlamaCppEngine extends LocalEngine {
  override readonly kind = 'llamacpp';
}

registerEngineProvider<LlamaCppEngineSpec>({
  kind: 'llamacpp',
  description: 'a GGUF file in this process with llama.cpp (node-llama-cpp, CPU), full next-token distribution',
  async create(spec, { signal }) {
    if (!spec.causalLM && !spec.file) throw new Error('The llamacpp engine needs `file`, the path of a .gguf file.');
    const loaded = spec.causalLM ?? (await loadGgufModel({ file: spec.file!, threads: spec.threads, contextSize: spec.contextSize, onLog: spec.onLog, signal }));
    return new LlamaCppEngine(spec.format ? withPromptFormat(loaded, spec.format) : loaded, { modelSetting: spec.file, strictProperties: spec.strictProperties });
  },
});
