/** Registers the llama.cpp engine: a GGUF file run in this process by node-llama-cpp's prebuilt CPU binaries. */
import type { PromptFormat } from '../../../core/model/promptFormat';
import { withPromptFormat } from '../../../core/model/promptFormat';
import type { ThreadsChoice } from '../../../core/model/threads';
import type { CausalLM } from '../../../core/model/types';
import { LOCAL_CAPABILITIES, type EngineCapabilities } from '../../../core/engine/types';
import { routesByCompare, type EngineRoutesOptions } from '../../../core/structured/engineRoutes';
import type { StructuredRoutesResult } from '../../../core/structured/routes';
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
  /** What named the file, for messages ('--model', 'samplingLab.model'). */
  setting?: string;
  /** The structured routes' mask option. */
  strictProperties?: boolean;
}

/**
 * The llama.cpp engine: the local engine's capabilities (full distribution, our sampler chain,
 * KV cache, seeds), since the model hands our decode loop every token's probability; all but the
 * constrained route's mask. The mask engines read the vocabulary from tokenizer.json, and a GGUF
 * file carries its tokenizer in its own metadata, so the JSON routes run through compare and the
 * constrained one is refused on its card by name rather than built from the wrong folder.
 */
export class LlamaCppEngine extends LocalEngine {
  override readonly kind = 'llamacpp';
  override readonly capabilities: EngineCapabilities = { ...LOCAL_CAPABILITIES, constrained: 'none' };

  override runRoutes(prompt: string, schema: unknown, options: EngineRoutesOptions): Promise<StructuredRoutesResult> {
    return routesByCompare(this)(prompt, schema, options);
  }
}

registerEngineProvider<LlamaCppEngineSpec>({
  kind: 'llamacpp',
  description: 'a GGUF file in this process with llama.cpp (node-llama-cpp, CPU), full next-token distribution',
  async create(spec, { signal }) {
    if (!spec.causalLM && !spec.file) throw new Error('The llamacpp engine needs `file`, the path of a .gguf file.');
    const loaded = spec.causalLM ?? (await loadGgufModel({ file: spec.file!, threads: spec.threads, contextSize: spec.contextSize, onLog: spec.onLog, setting: spec.setting, signal }));
    return new LlamaCppEngine(spec.format ? withPromptFormat(loaded, spec.format) : loaded, { modelSetting: spec.file, strictProperties: spec.strictProperties });
  },
});
