/**
 * The usual start of a scenario: code-server on a workspace, with the extension loaded from the
 * working tree, and Chromium on its workbench (WASM: GPU disabled, unless asked otherwise).
 */
import type { Page } from 'playwright-core';
import { REPO_ROOT, startCodeServer, type CodeServer, type CodeServerOptions } from './codeServer';
import { openWorkbench, waitForWorkbench, type GpuMode, type Workbench } from './workbench';

export interface Lab {
  server: CodeServer;
  workbench: Workbench;
  page: Page;
  close(): Promise<void>;
}

export interface LabOptions {
  /** User settings; `samplingLab.device` defaults to wasm. */
  settings?: Record<string, unknown>;
  gpu?: GpuMode;
  workspaceTrust?: CodeServerOptions['workspaceTrust'];
}

export async function openLab(workspace: string, options: LabOptions = {}): Promise<Lab> {
  const server = await startCodeServer({ workspace, workspaceTrust: options.workspaceTrust, settings: { 'samplingLab.device': 'wasm', ...options.settings } });
  let workbench: Workbench;
  try {
    workbench = await openWorkbench(server.workbenchUrl({ extensionDevelopmentPath: REPO_ROOT }), { gpu: options.gpu ?? 'disabled' });
    await waitForWorkbench(workbench.page);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return {
    server,
    workbench,
    page: workbench.page,
    async close() {
      await workbench.close();
      await server.stop();
    },
  };
}
