/**
 * `npm run test:extension`: runs the extension-host suites in real VS Code (code-server), with
 * Chromium showing the workbench so the panel's webview (and the model in it) exists. Prints
 * mocha's report from the extension host and exits with its status.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT, startCodeServer, type CodeServer } from '../e2e/support/codeServer';
import { openWorkbench, waitForWorkbench, type Workbench } from '../e2e/support/workbench';
import { writeTestWorkspace } from './workspace';

const TIMEOUT_MS = 15 * 60_000;

async function main(): Promise<number> {
  const testsPath = path.join(REPO_ROOT, 'out', 'test', 'extension', 'index.js');
  if (!fs.existsSync(testsPath)) throw new Error(`${testsPath} is missing: run node tools/e2e/build-extension-tests.js`);
  const workspace = writeTestWorkspace(fs.mkdtempSync(path.join(os.tmpdir(), 'sl-ws-')));
  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;
  const started = Date.now();
  try {
    server = await startCodeServer({ workspace, settings: { 'samplingLab.device': 'wasm' } });
    let exit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => (exit = resolve));
    workbench = await openWorkbench(server.workbenchUrl({ extensionDevelopmentPath: REPO_ROOT, extensionTestsPath: testsPath }), {
      gpu: 'disabled',
      onHostLog: (line) => console.log(line),
      onTestsExit: (code) => exit(code),
    });
    await waitForWorkbench(workbench.page);
    const timeout = new Promise<number>((resolve) =>
      setTimeout(() => {
        console.error(`extension tests did not finish within ${TIMEOUT_MS / 60_000} minutes`);
        resolve(1);
      }, TIMEOUT_MS).unref(),
    );
    const code = await Promise.race([exited, timeout]);
    console.log(`extension host tests: exit code ${code} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (code !== 0) console.log(`--- code-server output (tail) ---\n${server.output().slice(-4000)}`);
    return code;
  } finally {
    await workbench?.close();
    await server?.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
