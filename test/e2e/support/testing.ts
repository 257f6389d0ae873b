/**
 * Reading the Test Explorer as a user sees it: a row's state is the icon VS Code draws for it.
 */
import type { Locator } from 'playwright-core';

/** The state a Test Explorer row's icon shows: failed, passed, errored, skipped, queued, running or unset. */
export async function iconState(row: Locator): Promise<string> {
  const icon = (await row.locator('.computed-state').first().getAttribute('class', { timeout: 1_000 }).catch(() => '')) ?? '';
  // VS Code names the errored state's icon "testing-error-icon".
  const icons: Record<string, string> = { failed: 'failed', passed: 'passed', errored: 'error', skipped: 'skipped', queued: 'queued', running: 'running', unset: 'unset' };
  for (const [state, name] of Object.entries(icons)) if (icon.includes(`testing-${name}-icon`) || icon.includes(`codicon-testing-${name}`)) return state;
  return icon;
}
