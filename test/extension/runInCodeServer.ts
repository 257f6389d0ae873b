/**
 * `npm run test:extension`: runs the extension-host suites in real VS Code (code-server), with
 * Chromium showing the workbench so the panel's webview (and the model in it) exists. Prints
 * mocha's report from the extension host and exits with its status.
 */
import * as path from 'node:path';
import { REPO_ROOT } from '../e2e/support/codeServer';
import { runInExtensionHost } from '../e2e/support/extensionHost';
import { writeTestWorkspace } from './workspace';

runInExtensionHost({
  testsPath: path.join(REPO_ROOT, 'out', 'test', 'extension', 'index.js'),
  workspace: writeTestWorkspace,
  timeoutMs: 15 * 60_000,
}).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
