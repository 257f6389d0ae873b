/**
 * Reading the Sampling Lab panel from the outside, as a user sees it.
 */
import type { FrameLocator, Page } from 'playwright-core';
import { findWebviewFrame } from './workbench';

export const EXTENSION_ID = 'sampling-lab.sampling-lab';

export interface CardText {
  strategy: string;
  chain: string;
  text: string;
  state: string;
  stats: string;
}

export async function panelFrame(page: Page, timeoutMs = 60_000): Promise<FrameLocator> {
  return findWebviewFrame(page, EXTENSION_ID, '#runs', timeoutMs);
}

/** Waits until the newest run shows at least `min` cards that finished, and returns them. */
export async function waitForFinishedCards(panel: FrameLocator, min: number, timeoutMs: number): Promise<CardText[]> {
  const run = panel.locator('.run').first();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await run.getAttribute('data-status').catch(() => null);
    if (status === 'failed') throw new Error(`the run failed: ${await run.locator('.notice').textContent()}`);
    const cards = run.locator('.card');
    const total = await cards.count();
    const done = await run.locator('.card[data-state="done"]').count();
    if (status === 'done' && total >= min && done === total) {
      const result: CardText[] = [];
      for (let i = 0; i < total; i++) {
        const card = cards.nth(i);
        result.push({
          strategy: (await card.getAttribute('data-strategy')) ?? '',
          chain: (await card.locator('.card-chain').textContent()) ?? '',
          text: (await card.locator('.completion').first().textContent()) ?? '',
          state: (await card.getAttribute('data-state')) ?? '',
          stats: (await card.locator('.stats').textContent()) ?? '',
        });
      }
      return result;
    }
    if (Date.now() > deadline) throw new Error(`after ${timeoutMs} ms the run is "${status}" with ${done}/${total} cards done`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The backend the panel says the model runs on ("wasm" or "webgpu"). */
export async function panelBackend(panel: FrameLocator): Promise<string> {
  return (await panel.locator('#model-status').getAttribute('data-backend')) ?? '';
}
