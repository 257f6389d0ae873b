/**
 * A branch: the completion decoded from one alternative token at one step of a card (the
 * explorer's "Branch from here"). The same card shows in the explorer when it is made and under
 * its run afterwards, where history keeps it across reloads.
 */
import type { BranchRecord } from '../../src/protocol/messages';

export function branchCard(runId: string, strategyName: string, b: BranchRecord): HTMLElement {
  const card = document.createElement('article');
  card.className = 'branch-card';
  card.dataset.parentRunId = runId;
  card.dataset.parentStrategyIndex = String(b.strategyIndex);
  card.dataset.step = String(b.step);
  const h = document.createElement('h3');
  h.className = 'branch-label';
  h.textContent = `branch of ${strategyName} at step ${b.step}: ${JSON.stringify(b.tokenText)}`;
  const p = document.createElement('p');
  p.className = 'completion branch-text';
  p.dataset.text = b.text;
  const first = document.createElement('span');
  first.className = 'first';
  first.textContent = b.firstText;
  p.append(first, document.createTextNode(b.text.slice(b.firstText.length)));
  const parent = document.createElement('button');
  parent.type = 'button';
  parent.className = 'action';
  parent.textContent = 'Show parent';
  parent.title = 'Scroll to the card this branch leaves';
  parent.addEventListener('click', () => {
    const target = document.querySelector<HTMLElement>(`[data-run-id="${CSS.escape(runId)}"] .card[data-strategy-index="${b.strategyIndex}"]`);
    target?.scrollIntoView();
    target?.querySelector<HTMLElement>('.tok')?.focus();
  });
  card.append(h, p, parent);
  return card;
}
