/**
 * The harness itself: code-server serves a workspace, Chromium shows the workbench, and a
 * palette command runs. If this fails, every other e2e result is noise.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCodeServer, type CodeServer } from './support/codeServer';
import { openFile, openWorkbench, runCommand, waitForWorkbench, type Workbench } from './support/workbench';

describe('the e2e harness', function () {
  this.timeout(180_000);
  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;
  let workspace: string;

  before(() => {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-ws-'));
    fs.writeFileSync(path.join(workspace, 'notes.txt'), 'first line\nsecond line\n');
  });

  after(async () => {
    await workbench?.close();
    await server?.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  it('opens a workspace file in code-server and runs a palette command', async () => {
    server = await startCodeServer({ workspace });
    workbench = await openWorkbench(server.workbenchUrl(), { gpu: 'disabled' });
    const { page } = workbench;
    await waitForWorkbench(page);
    await openFile(page, 'notes.txt');
    await runCommand(page, 'File: New Untitled Text File');
    await page.locator('.tab[aria-label*="Untitled-1"]').waitFor({ state: 'visible' });
    assert.equal(await page.locator('.tab').count(), 2);
  });
});
