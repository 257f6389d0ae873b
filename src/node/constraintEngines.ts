/**
 * The constrained-decoding engines in Node (CLI, tests, bench). The core takes the engine modules
 * as arguments; this file loads them the Node way and reads the model folder's tokenizer.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Module from 'node:module';
import type { CausalLM } from '../core/model/types';
import { createConstraintEngines, type ConstraintEngines, type EngineModules } from '../core/structured/constraint';
import { constraintVocabFromTokenizerJson } from '../core/structured/engines/types';
import type { StructuredOutputModule } from '../core/structured/engines/transformersStructuredOutput';
import type { XGrammarModule } from '../core/structured/engines/xgrammar';
import { ModelLoadError } from '../core/model/errors';
import { resolveModel } from './modelFolder';

let xgrammar: XGrammarModule | undefined;

/**
 * `@mlc-ai/web-xgrammar`'s lib/index.js is a UMD bundle, but the package says `"type": "module"`,
 * so both require() and import() treat it as ESM and fail on its `require`. Compiling the same file
 * as CommonJS is what a bundler does with it.
 */
export function loadXGrammar(): XGrammarModule {
  if (xgrammar) return xgrammar;
  const file = require.resolve('@mlc-ai/web-xgrammar');
  const NodeModule = Module as unknown as {
    new (id: string, parent?: NodeModule): NodeModule & { _compile(code: string, file: string): void; paths: string[] };
    _nodeModulePaths(dir: string): string[];
  };
  const m = new NodeModule(file, module);
  m.filename = file;
  m.paths = NodeModule._nodeModulePaths(path.dirname(file));
  m._compile(fs.readFileSync(file, 'utf8'), file);
  xgrammar = m.exports as XGrammarModule;
  return xgrammar;
}

/** Loaded on demand: it imports transformers.js, which must come after the backend is chosen. */
export function loadStructuredOutput(): StructuredOutputModule {
  return require('@huggingface/transformers-structured-output') as StructuredOutputModule;
}

export function nodeEngineModules(): EngineModules {
  return {
    xgrammar: loadXGrammar(),
    get structuredOutput() {
      return loadStructuredOutput();
    },
  };
}

/** The engines for a loaded model, from its folder's tokenizer.json (`model` as given to loadNodeModel). */
export function nodeConstraintEngines(loaded: CausalLM, model?: string): ConstraintEngines {
  const location = resolveModel(model);
  if (!location.dir) {
    throw new ModelLoadError(`Constrained decoding reads tokenizer.json from the model folder; "${location.name}" is not in the hub cache yet. Pull it first: sampling-lab models pull ${location.name}.`);
  }
  const file = path.join(location.dir, 'tokenizer.json');
  const tokenizerJson = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  return createConstraintEngines(nodeEngineModules(), constraintVocabFromTokenizerJson(tokenizerJson, loaded.vocabSize, loaded.eosTokenIds));
}
