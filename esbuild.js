// Builds the three bundles: the extension host (Node, CJS), the webview UI and its model
// worker (browser), and the CLI (Node). One core (src/core) goes into all of them.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: process.argv.includes('--quiet') ? 'warning' : 'info',
  target: 'es2022',
};

// @cfworker/json-schema computes a base URI for relative $refs at import time from
// self.location. In the panel's worker that is a blob:vscode-webview://… URL, whose origin and
// pathname concatenate to an invalid URL, so `new URL` threw while the worker bundle loaded and
// took every model run with it. The library's own fallback base is the right one for us: schemas
// reach the worker as objects, never by URL.
const cfworkerBaseUri = {
  name: 'cfworker-base-uri',
  setup(build) {
    build.onLoad({ filter: /@cfworker[\\/]json-schema[\\/].*dereference\.js$/ }, async (args) => {
      const source = await fs.promises.readFile(args.path, 'utf8');
      const patched = source.replace(/export (?:let|const) initialBaseURI = [^;]+;/, "export const initialBaseURI = new URL('https://github.com/cfworker');");
      if (patched === source) throw new Error(`${args.path}: initialBaseURI not found; re-check the cfworker-base-uri patch`);
      return { contents: patched, loader: 'js' };
    });
  },
};

/** @type {import('esbuild').BuildOptions[]} */
const builds = [
  {
    ...common,
    entryPoints: { extension: 'src/extension/extension.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    // node-llama-cpp (GGUF models) loads its native binary from its own folder: it stays a package
    // beside the bundle (tools/package/llamaCppFiles.js copies it for the .vsix). The constraint
    // engines' modules load only when a local model in the host builds a token mask.
    external: ['vscode', 'node-llama-cpp', '@huggingface/transformers-structured-output', '@mlc-ai/web-xgrammar'],
  },
  {
    ...common,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    banner: { js: '#!/usr/bin/env node' },
    // transformers.js loads onnxruntime-node's native binding at run time: keep it a dependency.
    external: ['@huggingface/transformers', 'onnxruntime-node', 'onnxruntime-web', '@mlc-ai/web-xgrammar'],
  },
];

const webviewEntry = 'webview-ui/panel/main.ts';
if (fs.existsSync(webviewEntry)) {
  builds.push({
    ...common,
    entryPoints: { webview: webviewEntry },
    outdir: 'dist',
    platform: 'browser',
    format: 'iife',
  });
}
const workerEntry = 'webview-ui/worker/worker.ts';
if (fs.existsSync(workerEntry)) {
  builds.push({
    ...common,
    entryPoints: { worker: workerEntry },
    outdir: 'dist',
    platform: 'browser',
    format: 'esm',
    // @mlc-ai/web-xgrammar's Emscripten glue names these in branches taken only under Node.
    external: ['url', 'module'],
    plugins: [cfworkerBaseUri],
  });
}

async function main() {
  const present = builds.filter((b) => Object.values(b.entryPoints).every((e) => fs.existsSync(e)));
  if (watch) {
    for (const b of present) await (await esbuild.context(b)).watch();
    return;
  }
  await Promise.all(present.map((b) => esbuild.build(b)));
  if (fs.existsSync('dist/cli.js')) fs.chmodSync('dist/cli.js', 0o755);
  if (fs.existsSync(workerEntry)) copyOrtWasm();
}

// The webview worker's onnxruntime-web (the `ort.webgpu.bundle` build that transformers.js's
// browser entry imports) has its JS glue inlined but loads this .wasm at run time, from a URL
// the panel passes in (dist/ is a localResourceRoot). One binary serves the WASM and WebGPU EPs.
function copyOrtWasm() {
  const name = 'ort-wasm-simd-threaded.asyncify.wasm';
  // The copy transformers.js resolves (nested first, then hoisted): the .wasm must match its JS.
  const from = [
    path.join('node_modules', '@huggingface', 'transformers', 'node_modules', 'onnxruntime-web', 'dist', name),
    path.join('node_modules', 'onnxruntime-web', 'dist', name),
  ].find((f) => fs.existsSync(f));
  if (!from) throw new Error(`onnxruntime-web's ${name} not found: run npm install`);
  const to = path.join('dist', name);
  if (fs.existsSync(to) && fs.statSync(to).size === fs.statSync(from).size) return;
  fs.mkdirSync('dist', { recursive: true });
  fs.copyFileSync(from, to);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
