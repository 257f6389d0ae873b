/**
 * Messages between the panel and the model worker for the distribution explorer. They follow the
 * main protocol's naming (a `type`, a `requestId`, and a reply the request names: ExplorerReplies,
 * src/protocol/requests.ts) but never reach the host: their types start with `explorer`, so the
 * panel and the worker tell them apart before the main validators run. Cut tokens' log-probs are
 * −∞, which JSON cannot carry: only probabilities cross, and the validators check them.
 */
import type { WorkerRequest } from './messages';
import type { ReplyNames } from './requests';

import type { ExplorerStepRequest, ExplorerBranchRequest, ExplorerRequest, ExplorerBar, ExplorerStepReply, ExplorerBranchReply, ExplorerFailedReply, ExplorerReply } from '../core/explorer/messages';
export type { ExplorerStepRequest, ExplorerBranchRequest, ExplorerRequest, ExplorerBar, ExplorerStepReply, ExplorerBranchReply, ExplorerFailedReply, ExplorerReply };

/** Each explorer request's reply (either may end with `explorerFailed` instead). */
export type ExplorerReplies = {
  explorerStep: { done: ExplorerStepReply; progress: never };
  explorerBranch: { done: ExplorerBranchReply; progress: never };
};

export const EXPLORER_REPLIES: ReplyNames<ExplorerReplies> = {
  explorerStep: { done: 'explorerStepDone', progress: [] },
  explorerBranch: { done: 'explorerBranchDone', progress: [] },
};

/** What the panel sends its model worker: the host's requests it forwards, and the explorer's own. */
export type PanelToWorker = WorkerRequest | ExplorerRequest;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * The settings' shape: `temperature` a number, `order` a list of names, and every other key a
 * stage parameter (registry.ts) holding a number, a list of strings (DRY breakers) or a bias map.
 * Keys and ranges are the worker's strategyFromSettings' job, which names a bad one.
 */
function validSettings(s: unknown): boolean {
  if (!isObj(s) || !isNum(s.temperature)) return false;
  if (s.order !== undefined && !(Array.isArray(s.order) && s.order.every((t) => typeof t === 'string'))) return false;
  return Object.entries(s).every(
    ([key, v]) =>
      key === 'order' ||
      v === undefined ||
      isNum(v) ||
      (Array.isArray(v) && v.every((t) => typeof t === 'string')) ||
      (isObj(v) && !Array.isArray(v) && Object.values(v).every((b) => b === false || isNum(b))),
  );
}

/** Is this an explorer message at all (whether or not it is well formed)? */
export function isExplorerMessage(data: unknown): boolean {
  return isObj(data) && typeof data.type === 'string' && data.type.startsWith('explorer');
}

export function validateExplorerRequest(data: unknown): ExplorerRequest | string {
  if (!isObj(data) || (data.type !== 'explorerStep' && data.type !== 'explorerBranch')) return 'unknown explorer request';
  if (typeof data.requestId !== 'string' || typeof data.prompt !== 'string' || !isInt(data.maxNewTokens) || !isInt(data.step)) return 'bad explorer request fields';
  if (!Array.isArray(data.generated) || !data.generated.every(isInt) || data.step >= data.generated.length) return 'bad generated ids or step';
  if (!validSettings(data.settings)) return 'bad explorer settings';
  if (data.type === 'explorerBranch' && (!isInt(data.altToken) || !isInt(data.seed))) return 'bad branch token or seed';
  if ((data.chat !== undefined && typeof data.chat !== 'boolean') || (data.system !== undefined && typeof data.system !== 'string')) return 'bad prompt format';
  if ((data.model !== undefined && typeof data.model !== 'string') || (data.dtype !== undefined && typeof data.dtype !== 'string')) return 'bad model name or weights';
  return data as unknown as ExplorerRequest;
}

export function validateExplorerReply(data: unknown): ExplorerReply | string {
  if (!isObj(data) || typeof data.requestId !== 'string') return 'bad explorer reply';
  switch (data.type) {
    case 'explorerStepDone': {
      if (!Array.isArray(data.bars) || !isObj(data.chosen) || !Array.isArray(data.sweep) || !Array.isArray(data.stages)) return 'bad explorer step reply';
      const barsOk = data.bars.every((b) => isObj(b) && isInt(b.token) && typeof b.text === 'string' && isNum(b.prob) && isNum(b.finalProb) && isNum(b.logit) && Array.isArray(b.survives));
      if (!barsOk || !isNum(data.entropyBits) || !isNum(data.tailMass) || !isNum(data.chosen.finalProb)) return 'bad explorer numbers';
      return data as unknown as ExplorerStepReply;
    }
    case 'explorerBranchDone':
      if (typeof data.text !== 'string' || !Array.isArray(data.tokens) || !isInt(data.token)) return 'bad explorer branch reply';
      return data as unknown as ExplorerBranchReply;
    case 'explorerFailed':
      return typeof data.error === 'string' ? (data as unknown as ExplorerFailedReply) : 'bad explorer error';
    default:
      return 'unknown explorer reply';
  }
}
