/**
 * Branches made in the explorer are kept with their run in history, so they survive a reload
 * like the run's cards do. A run (or one model's record of a side-by-side) keeps its newest
 * MAX_BRANCHES.
 */
import type { BranchAddedAction, RunRecord } from '../protocol/messages';
import type { RunHistory } from './history';

export const MAX_BRANCHES = 20;

/**
 * The run with the branch added, stored; undefined (with why) when the branch does not fit a run.
 * A branch of one model's card in a side-by-side names that model's record (`${id}.m${k}`): it is
 * kept in that record, inside the run holding it, which is what history stores and the panel shows.
 */
export async function keepBranch(history: RunHistory, action: BranchAddedAction): Promise<{ run: RunRecord } | { error: string }> {
  const holder = history.holderOf(action.runId);
  const cards = history.cardsOf(action.runId);
  if (!holder || !cards) return { error: `a branch of run ${action.runId}, which is no longer in history, was not kept` };
  if (!cards.strategies[action.branch.strategyIndex]) return { error: `a branch of card ${action.branch.strategyIndex}, which run ${cards.id} does not have, was not kept` };
  const withBranch = (run: RunRecord): RunRecord => ({ ...run, branches: [...(run.branches ?? []), action.branch].slice(-MAX_BRANCHES) });
  const updated = holder === cards ? withBranch(holder) : { ...holder, models: holder.models!.map((m) => (m.id === cards.id ? withBranch(m) : m)) };
  await history.upsert(updated);
  return { run: history.get(holder.id) ?? updated };
}
