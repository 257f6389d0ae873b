/**
 * Branches made in the explorer are kept with their run in history, so they survive a reload
 * like the run's cards do. A run keeps its newest MAX_BRANCHES.
 */
import type { BranchAddedAction, RunRecord } from '../protocol/messages';
import type { RunHistory } from './history';

export const MAX_BRANCHES = 20;

/** The run with the branch added, stored; undefined (with why) when the branch does not fit a run. */
export async function keepBranch(history: RunHistory, action: BranchAddedAction): Promise<{ run: RunRecord } | { error: string }> {
  const run = history.get(action.runId);
  if (!run) return { error: `a branch of run ${action.runId}, which is no longer in history, was not kept` };
  if (!run.strategies[action.branch.strategyIndex]) return { error: `a branch of card ${action.branch.strategyIndex}, which run ${run.id} does not have, was not kept` };
  const updated: RunRecord = { ...run, branches: [...(run.branches ?? []), action.branch].slice(-MAX_BRANCHES) };
  await history.upsert(updated);
  return { run: history.get(run.id) ?? updated };
}
