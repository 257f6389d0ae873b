#!/usr/bin/env node
// Runs every test suite in turn and ends with one line "N passed, N failed" over all of them.
// A suite that crashes before reporting counts as one failure, so a broken harness is never green.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const resultsDir = path.join(root, 'test-results', 'counts');

const suites = [
  { name: 'unit', cmd: ['npx', 'mocha', 'test/unit/**/*.test.ts'] },
  { name: 'integration', cmd: ['npx', 'mocha', '--timeout', '300000', 'test/integration/**/*.test.ts'] },
  { name: 'cli', cmd: ['npx', 'mocha', '--timeout', '300000', 'test/cli/**/*.test.ts'] },
];
const extra = path.join(root, 'test', 'suites.json');
if (fs.existsSync(extra)) suites.push(...JSON.parse(fs.readFileSync(extra, 'utf8')));

const only = process.argv.slice(2);
fs.rmSync(resultsDir, { recursive: true, force: true });
let passed = 0;
let failed = 0;
const lines = [];
for (const suite of suites) {
  if (only.length > 0 && !only.includes(suite.name)) continue;
  const file = path.join(resultsDir, `${suite.name}.json`);
  console.log(`\n=== ${suite.name}: ${suite.cmd.join(' ')}`);
  const t0 = Date.now();
  const r = spawnSync(suite.cmd[0], suite.cmd.slice(1), {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, SAMPLING_LAB_RESULTS: file },
  });
  let counts = { passed: 0, failed: 1 };
  if (fs.existsSync(file)) counts = JSON.parse(fs.readFileSync(file, 'utf8'));
  else console.log(`=== ${suite.name} reported no results (exit ${r.status}); counted as one failure`);
  if (r.status !== 0 && counts.failed === 0) counts.failed = 1;
  passed += counts.passed;
  failed += counts.failed;
  lines.push(`${suite.name}: ${counts.passed} passed, ${counts.failed} failed (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}
console.log('\n' + lines.join('\n'));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
