/**
 * Loads `@mlc-ai/web-xgrammar` in Node. Its lib/index.js is a UMD bundle, but the package says
 * `"type": "module"`, so both require() and import() treat it as ESM and fail on its `require`.
 * Compiling the same file as CommonJS is what a bundler does with it (the webview imports it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Module from 'node:module';
import type { XGrammarModule } from '../core/structured/engines/xgrammar';

let loaded: XGrammarModule | undefined;

export function loadXGrammar(): XGrammarModule {
  if (loaded) return loaded;
  const file = require.resolve('@mlc-ai/web-xgrammar');
  const NodeModule = Module as unknown as {
    new (id: string, parent?: NodeModule): NodeModule & { _compile(code: string, file: string): void; paths: string[] };
    _nodeModulePaths(dir: string): string[];
  };
  const m = new NodeModule(file, module);
  m.filename = file;
  m.paths = NodeModule._nodeModulePaths(path.dirname(file));
  m._compile(fs.readFileSync(file, 'utf8'), file);
  loaded = m.exports as XGrammarModule;
  return loaded;
}
