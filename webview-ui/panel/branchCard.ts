/**
 * A branch: the completion decoded from one alternative token at one step of a card (the
 * explorer's "Branch from here"). The same card shows in the explorer when it is made and under
 * its run afterwards, where history keeps it across reloads. A branch a server continued from
 * the text prefix says so, and says when the server split that text into other tokens; one that
 * streams has a Stop button (`onStop`), and one that was stopped or failed says so in words.
 */
import type { BranchRecord } from '../../src/protocol/messages';

export function branchCard(runId: string, strategyName: string, b: BranchRecord, onStop?: () => void): HTMLElement {
  const card = document.createElement('article');
  card.className = 'branch-card';
  card.dataset.state = b.state ?? 'done';
  if (b.state === 'running') card.setAttribute('aria-busy', 'true');
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
    // `runId` is a run's, or one model's record of a side-by-side (its group carries data-part-id).
    const parentCard = `.card[data-strategy-index="${b.strategyIndex}"]`;
    const target = document.querySelector<HTMLElement>(`[data-run-id="${CSS.escape(runId)}"] ${parentCard}, [data-part-id="${CSS.escape(runId)}"] ${parentCard}`);
    target?.scrollIntoView();
    target?.querySelector<HTMLElement>('.tok')?.focus();
  });
  card.append(h, p);
  const note = (cls: string, text: string, role?: string) => {
    const n = document.createElement('p');
    n.className = cls;
    n.textContent = text;
    if (role) n.setAttribute('role', role);
    card.append(n);
  };
  if (b.continuedBy) note('branch-continued', `Continued by the server (${b.continuedBy}) from the text prefix, with the card's strategy and seed (the explorer's controls stay here): the server tokenizes the prompt and the prefix again, which can split them into other tokens than the card's.`);
  if (b.retokenized) note('branch-retokenized', b.retokenized, 'note');
  if (b.state === 'running') note('branch-status', 'Continuing on the server…', 'status');
  if (b.error) note(b.state === 'failed' ? 'branch-error' : 'branch-status', b.state === 'failed' ? `Branch failed: ${b.error}` : b.error, b.state === 'failed' ? 'alert' : 'status');
  if (b.state === 'running' && onStop) {
    const stop = document.createElement('button');
    stop.type = 'button';
    stop.className = 'action branch-stop';
    stop.textContent = 'Stop';
    stop.title = 'Stop this branch; the tokens that arrived are kept';
    stop.addEventListener('click', onStop);
    card.append(stop);
  }
  card.append(parent);
  return card;
}
