/**
 * What the .vsix carries of node-llama-cpp (tools/package/llamaCppFiles.js, run by
 * vscode:prepublish): the package, everything it imports at run time, and one platform's binary,
 * resolved from this checkout's node_modules.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..', '..');
const { closure, BINARY_PACKAGES } = require(path.join(REPO, 'tools', 'package', 'llamaCppFiles.js')) as {
  closure(binaryPackage: string): string[];
  BINARY_PACKAGES: Record<string, string>;
};

const nameOf = (dir: string) => (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string }).name;

describe("the .vsix's node-llama-cpp (tools/package/llamaCppFiles.js)", () => {
  const host = BINARY_PACKAGES[`${process.platform}-${process.arch}`]!;

  it('carries node-llama-cpp, each of its run-time dependencies, and only this platform\'s binary', () => {
    const names = new Set(closure(host).map(nameOf));
    assert.ok(names.has('node-llama-cpp'));
    const own = JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules', 'node-llama-cpp', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const dep of Object.keys(own.dependencies)) assert.ok(names.has(dep), `${dep} is carried`);
    assert.deepEqual([...names].filter((n) => n.startsWith('@node-llama-cpp/')), [`@node-llama-cpp/${host}`]);
    assert.ok(!names.has('@huggingface/transformers') && !names.has('onnxruntime-node'), 'nothing the bundle already holds or never loads');
  });

  it('names the missing binary and the fix for a platform whose binary npm did not install here', () => {
    const missing = ['mac-arm64-metal', 'win-x64', 'linux-x64'].find((p) => !fs.existsSync(path.join(REPO, 'node_modules', '@node-llama-cpp', p)))!;
    assert.throws(() => closure(missing), new RegExp(`@node-llama-cpp/${missing} is not installed here: run npm ci on that platform`));
  });
});
