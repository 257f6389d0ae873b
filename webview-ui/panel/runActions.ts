/**
 * What a run's cards can ask of the panel (insert, copy, record a preference): the one
 * declaration the run, risk and JSON views share, kept apart from them so no view imports another
 * for a type.
 */
import type { RunAction } from '../../src/protocol/messages';
import type { PreferenceActions } from './preferenceMarks';

export interface RunActions extends PreferenceActions {
  /** `strategy`: the card's index, so the host can mark the answer's risky sentences. */
  insert(runId: string, text: string, strategy: number): void;
  copy(text: string): void;
  /** A run header's Export Markdown / Export JSON / Delete. */
  runAction(runId: string, action: RunAction['action']): void;
}
