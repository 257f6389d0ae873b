// Copies node-llama-cpp for the .vsix into dist/node_modules/: the package, the packages it needs
// at run time, and ONE platform's prebuilt CPU binary (@node-llama-cpp/<target>). The extension
// bundle imports node-llama-cpp at run time (it loads its native binary from its own folder, so
// esbuild cannot bundle it); dist/extension.js finds dist/node_modules first. vsce packs with
// --no-dependencies and never packs the top-level node_modules, hence the copy.
//
//   node tools/package/llamaCppFiles.js [--target linux-x64]
//
// The target defaults to SAMPLING_LAB_VSIX_TARGET, else this machine's. A .vsix per platform:
// SAMPLING_LAB_VSIX_TARGET=darwin-arm64 npx vsce package --target darwin-arm64 … on a tree whose
// npm ci installed that binary, so each .vsix carries only its own. Not copied: llama.cpp's source
// bundle (llama/gitRelease.bundle, for building from source, which the extension never does).
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const out = path.join(root, 'dist', 'node_modules');

/** node-llama-cpp's binary package for a platform (vsce's target names map onto them). */
const BINARY_PACKAGES = {
  'linux-x64': 'linux-x64',
  'linux-arm64': 'linux-arm64',
  'linux-armhf': 'linux-armv7l',
  'darwin-arm64': 'mac-arm64-metal',
  'darwin-x64': 'mac-x64',
  'win32-x64': 'win-x64',
  'win32-arm64': 'win-arm64',
};

/** Files of a package that never run in the extension host (source maps and typings: the .vsix carries no .map). */
const SKIPPED = [path.join('node-llama-cpp', 'llama', 'gitRelease.bundle')];
const SKIPPED_EXTENSIONS = /\.(map|d\.ts|d\.cts|d\.mts)$/;

function targetOf(argv) {
  const i = argv.indexOf('--target');
  const target = i >= 0 ? argv[i + 1] : process.env.SAMPLING_LAB_VSIX_TARGET || `${process.platform}-${process.arch}`;
  if (!BINARY_PACKAGES[target]) throw new Error(`No node-llama-cpp binary for --target ${target}; known: ${Object.keys(BINARY_PACKAGES).join(', ')}.`);
  return target;
}

/** The folder `name` resolves to from `fromDir`, by Node's lookup (nested node_modules first). */
function resolvePackage(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** node-llama-cpp and every package it needs at run time, as folders under the root's node_modules. */
function closure(binaryPackage) {
  const seen = new Set();
  const visit = (dir) => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const deps = Object.keys(pkg.dependencies ?? {});
    // Optional ones only where installed; of node-llama-cpp's binaries, only the target's.
    const optional = Object.keys(pkg.optionalDependencies ?? {}).filter((d) => !d.startsWith('@node-llama-cpp/'));
    for (const name of deps) {
      const found = resolvePackage(name, dir);
      if (!found) throw new Error(`${pkg.name} needs ${name}, which is not installed: run npm ci.`);
      visit(found);
    }
    for (const name of optional) {
      const found = resolvePackage(name, dir);
      if (found) visit(found);
    }
  };
  const main = resolvePackage('node-llama-cpp', root);
  if (!main) throw new Error('node-llama-cpp is not installed: run npm ci.');
  visit(main);
  const binary = resolvePackage(`@node-llama-cpp/${binaryPackage}`, main);
  if (!binary) throw new Error(`@node-llama-cpp/${binaryPackage} is not installed here: run npm ci on that platform (npm installs only the host's optional binaries).`);
  visit(binary);
  return [...seen];
}

/** Copies the packages into `dest` (a node_modules folder), replacing what it held; returns how many and their bytes. */
function copy(dirs, dest = out) {
  fs.rmSync(dest, { recursive: true, force: true });
  const modules = path.join(root, 'node_modules');
  // A nested package is copied with its parent's folder: skip it on its own.
  const tops = dirs.filter((d) => !dirs.some((p) => p !== d && d.startsWith(p + path.sep)));
  let bytes = 0;
  for (const dir of tops) {
    const rel = path.relative(modules, dir);
    fs.cpSync(dir, path.join(dest, rel), {
      recursive: true,
      dereference: true,
      filter: (src) => !SKIPPED.some((s) => src.endsWith(path.sep + s)) && !SKIPPED_EXTENSIONS.test(src),
    });
  }
  for (const entry of fs.readdirSync(dest, { recursive: true, withFileTypes: true })) if (entry.isFile()) bytes += fs.statSync(path.join(entry.parentPath ?? entry.path, entry.name)).size;
  return { packages: tops.length, bytes };
}

if (require.main === module) {
  const target = targetOf(process.argv.slice(2));
  const { packages, bytes } = copy(closure(BINARY_PACKAGES[target]));
  console.log(`node-llama-cpp for ${target}: ${packages} packages, ${(bytes / 1e6).toFixed(1)} MB in dist/node_modules`);
}

module.exports = { closure, copy, BINARY_PACKAGES };
