// Lets mocha (and node) require TypeScript directly: esbuild strips types per file, in memory.
// Only files of this repo are transformed; node_modules load as they are.
const fs = require('fs');
const path = require('path');
const Module = require('module');
const { transformSync } = require('esbuild');

const root = path.resolve(__dirname, '..', '..');

// Extensionless relative imports ("./chain") resolve to .ts files.
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if ((request.startsWith('.') || path.isAbsolute(request)) && parent && parent.filename) {
    const base = path.resolve(path.dirname(parent.filename), request);
    for (const candidate of [base + '.ts', path.join(base, 'index.ts')]) {
      if (!fs.existsSync(base + '.js') && fs.existsSync(candidate)) return candidate;
    }
  }
  return resolveFilename.call(this, request, parent, ...rest);
};

require.extensions['.ts'] = function (module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { code } = transformSync(source, {
    loader: 'ts',
    format: 'cjs',
    target: 'node20',
    sourcefile: filename,
    sourcemap: 'inline',
  });
  if (!filename.startsWith(root)) throw new Error(`refusing to transform ${filename}`);
  module._compile(code, filename);
};
