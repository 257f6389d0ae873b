// Bundles the extension-host test suites into out/test/extension/ (and the soak into out/test/soak/) (the extension host runs
// JavaScript; VS Code loads index.js through `extensionTestsPath`). The e2e files need no
// build: mocha runs them as TypeScript through test/support/register.cjs.
// Packages stay external (required from node_modules at run time); our sources are bundled.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
// test/soak is `npm run soak`'s suite and test/memory `npm run bench -- memory`'s: bundled here too, run only by their launchers.
const entryPoints = ['extension', 'soak', 'memory'].flatMap((folder) =>
  fs
    .readdirSync(path.join(root, 'test', folder))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join('test', folder, f)),
);

esbuild
  .build({
    absWorkingDir: root,
    entryPoints,
    outdir: 'out',
    outbase: '.',
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'es2022',
    sourcemap: true,
    packages: 'external',
    external: ['vscode'],
    logLevel: 'warning',
  })
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
