/**
 * `npm run test:desktop`: the same extension-host suites in desktop VS Code through
 * @vscode/test-electron. It downloads VS Code, so it needs the internet (CI here uses
 * runInCodeServer.ts instead); the suites are written to pass in both.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { writeTestWorkspace } from './workspace';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..', '..');
  const workspace = writeTestWorkspace(fs.mkdtempSync(path.join(os.tmpdir(), 'sl-ws-')));
  fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'samplingLab.device': 'wasm' }));
  try {
    await runTests({
      version: '1.100.3',
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(__dirname, 'index.js'),
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
    });
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
