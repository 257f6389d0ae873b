/**
 * The constrained-decoding engines in the model worker: the browser counterpart of
 * src/node/constraintEngines.ts. Both packages bundle into dist/worker.js:
 * - `@mlc-ai/web-xgrammar` is a UMD file with its WASM inlined as a data: URI; in a module
 *   worker Emscripten sees neither `window` nor `importScripts`, so it decodes that URI with
 *   `atob` and never reaches its Node-only `require('url')`. Its package says `"type": "module"`,
 *   so esbuild bundles it as ESM, where the UMD finds no `exports` and defines itself as
 *   `globalThis.xgrammar` instead: that is where the module is read from.
 * - `@huggingface/transformers-structured-output` imports transformers.js, the same copy the
 *   worker already runs the model with.
 * The engines are built once per loaded model (from its tokenizer.json) and released with it.
 */
import * as structuredOutput from '@huggingface/transformers-structured-output';
import '@mlc-ai/web-xgrammar';
import type { CausalLM } from '../../src/core/model/types';
import { createConstraintEngines, type ConstraintEngines } from '../../src/core/structured/constraint';
import { constraintVocabFromTokenizerJson } from '../../src/core/structured/engines/types';
import type { XGrammarModule } from '../../src/core/structured/engines/xgrammar';

/** The UMD's global (see above); undefined would mean the package changed how it loads. */
function loadXGrammar(): XGrammarModule {
  const xgrammar = (globalThis as { xgrammar?: Partial<XGrammarModule> }).xgrammar;
  if (!xgrammar?.TokenizerInfo || !xgrammar.GrammarCompiler || !xgrammar.GrammarMatcher) {
    throw new Error('@mlc-ai/web-xgrammar did not load in the model worker (globalThis.xgrammar is missing its classes).');
  }
  return xgrammar as XGrammarModule;
}

export class StructuredEngines {
  private current: { model: CausalLM; engines: Promise<ConstraintEngines> } | undefined;

  /** `readTokenizerJson`: the loaded model's tokenizer.json, as the worker reads model files. */
  constructor(private readonly readTokenizerJson: () => Promise<Response>) {}

  /** The engines for `model`, built on first use. */
  forModel(model: CausalLM): Promise<ConstraintEngines> {
    if (this.current?.model !== model) {
      this.release();
      const engines = this.build(model);
      this.current = { model, engines };
      // A failed build is not kept: the next run tries again.
      engines.catch(() => {
        if (this.current?.engines === engines) this.current = undefined;
      });
    }
    return this.current!.engines;
  }

  /** Frees the engines' WASM memory (the model was unloaded or replaced). */
  release(): void {
    const current = this.current;
    this.current = undefined;
    void current?.engines.then((e) => e.dispose()).catch(() => undefined);
  }

  private async build(model: CausalLM): Promise<ConstraintEngines> {
    const response = await this.readTokenizerJson();
    if (!response.ok) throw new Error(`Constrained decoding needs the model's tokenizer.json, which could not be read (HTTP ${response.status}).`);
    const tokenizerJson = (await response.json()) as Record<string, unknown>;
    const vocab = constraintVocabFromTokenizerJson(tokenizerJson, model.vocabSize, model.eosTokenIds);
    return createConstraintEngines({ xgrammar: loadXGrammar(), structuredOutput }, vocab);
  }
}
