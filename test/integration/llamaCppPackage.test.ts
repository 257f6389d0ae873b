/**
 * The node-llama-cpp tree the .vsix carries (tools/package/llamaCppFiles.js, run by
 * vscode:prepublish), copied alone into a temporary folder with no node_modules above it, loads a
 * GGUF file (facts-lm converted at test time) in a fresh Node process: nothing it needs is missing.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ggufFile } from '../support/ggufModel';
import { REPO } from '../support/model';

const { closure, copy, BINARY_PACKAGES } = require(path.join(REPO, 'tools', 'package', 'llamaCppFiles.js')) as {
  closure(binaryPackage: string): string[];
  copy(dirs: string[], dest: string): { packages: number; bytes: number };
  BINARY_PACKAGES: Record<string, string>;
};

describe("the .vsix's node-llama-cpp, on its own", () => {
  const host = BINARY_PACKAGES[`${process.platform}-${process.arch}`]!;

  it('the copied tree alone, with no node_modules above it, loads a GGUF model in a fresh Node process', function () {
    this.timeout(120_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-vsix-llama-'));
    try {
      const { bytes } = copy(closure(host), path.join(dir, 'node_modules'));
      assert.ok(bytes < 80e6, `${(bytes / 1e6).toFixed(1)} MB: one platform's binary, no llama.cpp sources`);
      const script = path.join(dir, 'load.mjs');
      fs.writeFileSync(script, "const { getLlama } = await import('node-llama-cpp');\nconst llama = await getLlama({ gpu: false, build: 'never', usePrebuiltBinaries: true, progressLogs: false, logLevel: 'error' });\nconst model = await llama.loadModel({ modelPath: process.argv[2] });\nconsole.log(JSON.stringify(model.tokenize('Q: Where')));\nawait model.dispose();\n");
      const run = spawnSync(process.execPath, [script, ggufFile('Q4_0')], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: dir } });
      assert.equal(run.status, 0, run.stderr);
      const ids = JSON.parse(run.stdout.trim().split('\n').pop()!) as number[];
      assert.ok(ids.length > 0 && ids.every(Number.isInteger), run.stdout);
      assert.ok(!fs.existsSync(path.join(dir, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle')), 'no llama.cpp source bundle');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
