/**
 * Branch from here on a card a server sampled: the panel asks the host (which holds the endpoint
 * and its key; the webview never talks to servers) to continue the run's prompt + the card's text
 * up to the picked token, and shows the branch card as the host streams it, with a Stop button
 * while it runs. Whether such a card can branch is what the host recorded on the run.
 */
import type { BranchContinueAction, BranchProgress, RunRecord } from '../../src/protocol/messages';
import { branchCard } from './branchCard';

/** Why Branch is off on a card of this run sampled by a server, or undefined when it continues there. */
export function remoteBranchRefusal(run: RunRecord): string | undefined {
  const engine = run.engine;
  if (!engine?.modelSetting) return 'No branching: this run was recorded before branching by continuation on servers. Run it again to branch.';
  return engine.branchRefused;
}

export type RemoteBranchRequest = Omit<BranchContinueAction, 'type' | 'branchId'>;

export class RemoteBranchCards {
  private next = 1;
  private readonly cards = new Map<string, { element: HTMLElement; strategyName: string; onEnd: () => void }>();

  constructor(private readonly post: (message: BranchContinueAction | { type: 'branchStop'; branchId: string }) => void) {}

  /** Asks the host for the branch; its card goes first in `container` and follows the host's progress. `onEnd`: it finished, stopped or failed. */
  start(request: RemoteBranchRequest, strategyName: string, container: HTMLElement, onEnd: () => void): string {
    const branchId = `branch-${Date.now().toString(36)}-${this.next++}`;
    const element = branchCard(request.runId, strategyName, { strategyIndex: request.strategyIndex, step: request.step, tokenText: request.tokenText, text: request.tokenText, firstText: request.tokenText, state: 'running' }, () => this.post({ type: 'branchStop', branchId }));
    element.dataset.branchId = branchId;
    container.prepend(element);
    this.cards.set(branchId, { element, strategyName, onEnd });
    this.post({ type: 'branchContinue', branchId, ...request });
    return branchId;
  }

  /** Redraws the branch's card from the host's record; false when the panel opened no such branch (a reload). */
  onProgress(message: BranchProgress): boolean {
    const entry = this.cards.get(message.branchId);
    if (!entry) return false;
    const focused = entry.element.contains(document.activeElement);
    const next = branchCard(message.runId, entry.strategyName, message.branch, () => this.post({ type: 'branchStop', branchId: message.branchId }));
    next.dataset.branchId = message.branchId;
    entry.element.replaceWith(next);
    entry.element = next;
    if (message.branch.state !== 'running') {
      this.cards.delete(message.branchId);
      entry.onEnd();
      // Stop had focus and is gone: the card's label takes it, so the keyboard user stays on the branch.
      if (focused) {
        const label = next.querySelector<HTMLElement>('.branch-label')!;
        label.tabIndex = -1;
        label.focus();
      }
    }
    return true;
  }
}
