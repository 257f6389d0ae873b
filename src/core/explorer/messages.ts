/**
 * The distribution explorer's requests and replies, as data: the panel asks the model worker (or,
 * for a model that runs in the extension host, the host) and both answer with answerExplorer
 * (answer.ts). Cut tokens' log-probs are −∞, which JSON cannot carry: only probabilities cross.
 * The protocol re-exports these and validates them (src/protocol/explorer.ts).
 */
import type { ExplorerSettings } from './settings';

export interface ExplorerStepRequest {
  type: 'explorerStep';
  requestId: string;
  prompt: string;
  maxNewTokens: number;
  generated: number[];
  step: number;
  settings: ExplorerSettings;
  /** The run's prompt format, so the explorer reads the prompt as the run did (chat template or raw). */
  chat?: boolean;
  system?: string;
  /** The model the card came from, and its weights: the worker refuses to explore it with another one loaded. */
  model?: string;
  dtype?: string;
}

export interface ExplorerBranchRequest extends Omit<ExplorerStepRequest, 'type'> {
  type: 'explorerBranch';
  altToken: number;
  seed: number;
}

export type ExplorerRequest = ExplorerStepRequest | ExplorerBranchRequest;

export interface ExplorerBar {
  token: number;
  text: string;
  rank: number;
  logit: number;
  prob: number;
  finalProb: number;
  chosen: boolean;
  cutBy?: string;
  /** Survives each stage after the raw logits, in chain order. */
  survives: boolean[];
}

export interface ExplorerStepReply {
  type: 'explorerStepDone';
  requestId: string;
  promptIds: number[];
  vocabSize: number;
  bars: ExplorerBar[];
  entropyBits: number;
  tailMass: number;
  chain: string;
  stages: { name: string; survivors: number }[];
  surviving: number;
  chosen: { token: number; text: string; rank: number; rawProb: number; finalProb: number; cutBy?: string };
  sweep: { temperature: number; chosenProb: number; entropyBits: number }[];
  /**
   * Set when only the engine's top log-probs are known (a server): the bars are those tokens,
   * `tailMass` is the unknown rest, and every number under the settings is over the known part,
   * renormalised.
   */
  /**
   * A server's step: its top `known` tokens hold `knownMass`; `unreplayed` names the stages set
   * here that need the tokens before the step, which a top-K step cannot replay (not applied).
   */
  approximate?: { knownMass: number; known: number; unreplayed?: string[] };
}

export interface ExplorerBranchReply {
  type: 'explorerBranchDone';
  requestId: string;
  step: number;
  token: number;
  tokenText: string;
  text: string;
  tokens: { token: number; text: string; prob: number }[];
}

/** Either request failed; the error says why in words for the explorer to show. */
export interface ExplorerFailedReply {
  type: 'explorerFailed';
  requestId: string;
  error: string;
}

export type ExplorerReply = ExplorerStepReply | ExplorerBranchReply | ExplorerFailedReply;
