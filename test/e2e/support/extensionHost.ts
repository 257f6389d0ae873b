/**
 * Runs a mocha suite inside the real extension host of code-server, with Chromium showing the
 * workbench so the panel's webview (and the model in it) exists: `npm run test:extension` and
 * `npm run soak` both start here. Prints the host's console and returns mocha's exit code.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT, startCodeServer, type CodeServer } from './codeServer';
import { openWorkbench, waitForWorkbench, type Workbench } from './workbench';

export interface ExtensionHostRun {
  /** The bundled suite's index.js (it exports `run()`). */
  testsPath: string;
  /** Writes the workspace the suite opens into the given empty folder. */
  workspace: (dir: string) => void;
  timeoutMs: number;
  /** Extra environment for code-server and so for the extension host. */
  env?: Record<string, string>;
  /** Extra Chromium flags. */
  chromiumArgs?: string[];
  /** Each console line of the extension host, with the workbench (to measure the webview from outside). */
  onHostLog?: (line: string, workbench: Workbench) => void;
}

export async function runInExtensionHost(options: ExtensionHostRun): Promise<number> {
  if (!fs.existsSync(options.testsPath)) throw new Error(`${options.testsPath} is missing: run node tools/e2e/build-extension-tests.js`);
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-ws-'));
  options.workspace(workspace);
  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;
  const started = Date.now();
  try {
    server = await startCodeServer({ workspace, env: options.env, settings: { 'samplingLab.device': 'wasm' } });
    let exit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => (exit = resolve));
    workbench = await openWorkbench(server.workbenchUrl({ extensionDevelopmentPath: REPO_ROOT, extensionTestsPath: options.testsPath }), {
      gpu: 'disabled',
      extraArgs: options.chromiumArgs,
      onHostLog: (line) => {
        console.log(line);
        if (workbench) options.onHostLog?.(line, workbench);
      },
      onTestsExit: (code) => exit(code),
    });
    await waitForWorkbench(workbench.page);
    const timeout = new Promise<number>((resolve) =>
      setTimeout(() => {
        console.error(`extension tests did not finish within ${options.timeoutMs / 60_000} minutes`);
        resolve(1);
      }, options.timeoutMs).unref(),
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
