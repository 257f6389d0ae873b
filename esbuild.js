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
  logLevel: 'info',
  target: 'es2022',
};

/** @type {import('esbuild').BuildOptions[]} */
const builds = [
  {
    ...common,
    entryPoints: { extension: 'src/extension/extension.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    external: ['vscode'],
  },
  {
    ...common,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    banner: { js: '#!/usr/bin/env node' },
    // transformers.js loads onnxruntime-node's native binding at run time: keep it a dependency.
    external: ['@huggingface/transformers', 'onnxruntime-node', 'onnxruntime-web'],
  },
];

const webviewEntry = 'webview-ui/main.ts';
if (fs.existsSync(webviewEntry)) {
  builds.push({
    ...common,
    entryPoints: { webview: webviewEntry },
    outdir: 'dist',
    platform: 'browser',
    format: 'iife',
  });
}
const workerEntry = 'webview-ui/worker.ts';
if (fs.existsSync(workerEntry)) {
  builds.push({
    ...common,
    entryPoints: { worker: workerEntry },
    outdir: 'dist',
    platform: 'browser',
    format: 'esm',
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
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
