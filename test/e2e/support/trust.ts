/**
 * Steps the Workspace Trust scenarios share: what Restricted Mode shows (a refused preference
 * mark, the Testing view's reason) and a record of a folder's files to prove nothing was written.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { panelFrame, waitForFinishedCards } from './panel';
import { openFile, runCommand, selectLines } from './workbench';

/** Content and mtime of every file under `dir`. */
export function snapshotFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, file)] = `${fs.statSync(file).mtimeMs}:${fs.readFileSync(file, 'utf8')}`;
  }
  return out;
}

/** Compares `prompt` (line 1 of prompts.txt), marks card 1 better than card 0, and waits for the panel to say Restricted Mode refused it. */
export async function comparisonRunsButPairIsRefused(page: Page, prompt: string): Promise<void> {
  await openFile(page, 'prompts.txt');
  assert.equal(await selectLines(page, 1, 2), prompt.length);
  await runCommand(page, 'Sampling Lab: Compare Strategies on Selection');
  const panel = await panelFrame(page);
  await waitForFinishedCards(panel, 5, 300_000);
  const run = panel.locator('.run').first();
  await run.locator('.card[data-strategy-index="1"] .tok').first().focus();
  await page.keyboard.press('b');
  await run.locator('.card[data-strategy-index="0"] .tok').first().focus();
  await page.keyboard.press('w');
  await run.locator('.preference-status', { hasText: 'Restricted Mode' }).waitFor({ state: 'visible', timeout: 30_000 });
}

/** Focuses the Testing view and returns its one Restricted Mode row, once shown. */
export async function testingViewSaysWhy(page: Page): Promise<Locator> {
  await runCommand(page, 'Testing: Focus on Test Explorer View');
  const why = page.locator('.test-explorer .monaco-list-row', { hasText: 'Trust this workspace to discover its prompt tests' }).first();
  await why.waitFor({ state: 'visible', timeout: 60_000 });
  return why;
}
