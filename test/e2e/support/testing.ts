/**
 * Reading the Test Explorer as a user sees it: a row's state is the icon VS Code draws for it.
 */
import type { Locator } from 'playwright-core';

/** The state a Test Explorer row's icon shows: failed, passed, errored, skipped, queued, running or unset. */
export async function iconState(row: Locator): Promise<string> {
  const icon = (await row.locator('.computed-state').first().getAttribute('class', { timeout: 1_000 }).catch(() => '')) ?? '';
  for (const state of ['failed', 'passed', 'errored', 'skipped', 'queued', 'running', 'unset']) if (icon.includes(`testing-${state}-icon`) || icon.includes(`codicon-testing-${state}`)) return state;
  return icon;
}
