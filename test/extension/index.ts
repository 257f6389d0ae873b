/**
 * Runs the extension-host suites (*.test.js next to this file) with mocha 11, inside VS Code's
 * extension host. VS Code loads this file through `extensionTestsPath`; code-server (see
 * runInCodeServer.ts) and @vscode/test-electron (runInDesktop.ts) both call `run()`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..', '..');
  // The repository's spec reporter that also writes pass/fail counts for `npm test`'s total.
  const reporter = require(path.join(root, 'test', 'support', 'countingReporter.cjs'));
  const mocha = new Mocha({ ui: 'bdd', timeout: 120_000, color: false, reporter });
  // SAMPLING_LAB_EXT_TESTS=hubModels,run runs only those suites (a developer's loop; CI runs all).
  const only = (process.env.SAMPLING_LAB_EXT_TESTS ?? '').split(',').filter(Boolean);
  for (const file of fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js') && (only.length === 0 || only.includes(f.replace(/\.test\.js$/, '')))).sort()) {
    mocha.addFile(path.join(__dirname, file));
  }
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} extension test(s) failed`)) : resolve()));
  });
}
