/**
 * The panel's per-run inputs on the host side: the "Max tokens" and "Stop at" fields as the panel
 * last sent them, kept in workspace storage so a comparison started before the panel opens runs
 * with them too, and applied to a comparison's options when it starts. A field holding what no run
 * can take refuses the run, saying so, rather than running with something else.
 */
import type * as vscode from 'vscode';
import { checkMaxNewTokens, checkStopStrings, RunInputError } from '../core/decode/runInputs';
import type { RunInputsAction, RunOptions } from '../protocol/messages';

const KEY = 'samplingLab.runInputs';

/** What the next comparison takes from the panel: absent fields leave the settings' values. */
export interface PerRunInputs {
  maxNewTokens?: number;
  stopStrings?: string[];
}

export class RunInputs {
  constructor(private readonly storage: vscode.Memento) {}

  /** Keeps what the panel sent; returns why it was refused (a value the panel's own check should have caught), or undefined. */
  async set(event: RunInputsAction): Promise<string | undefined> {
    try {
      if (event.maxNewTokens !== undefined) checkMaxNewTokens(event.maxNewTokens);
      checkStopStrings(event.stopStrings);
    } catch (e) {
      return `The panel's run fields were not taken: ${(e as Error).message}`;
    }
    const kept: RunInputsAction = { type: 'runInputs', stopStrings: [...event.stopStrings] };
    if (event.maxNewTokens !== undefined) kept.maxNewTokens = event.maxNewTokens;
    if (event.invalid) kept.invalid = event.invalid;
    await this.storage.update(KEY, kept);
    return undefined;
  }

  /** The panel's fields as last sent: throws RunInputError when one of them holds what no run can take. */
  current(): PerRunInputs {
    const saved = this.storage.get<RunInputsAction>(KEY);
    if (!saved) return {};
    if (saved.invalid) throw new RunInputError(`${saved.invalid} Fix the field in the Sampling Lab panel's toolbar and run again.`);
    return { maxNewTokens: saved.maxNewTokens, stopStrings: saved.stopStrings };
  }
}

/**
 * A comparison's options with its per-run inputs: `given` (a command's arguments) over the
 * panel's fields over the settings. Stop strings are kept only when there are some, so a run
 * without them has the options (and response-cache key) it always had.
 */
export function withRunInputs(options: RunOptions, given: PerRunInputs, panel: PerRunInputs): RunOptions {
  const maxNewTokens = given.maxNewTokens ?? panel.maxNewTokens;
  const stopStrings = given.stopStrings ?? panel.stopStrings ?? [];
  if (given.maxNewTokens !== undefined) checkMaxNewTokens(given.maxNewTokens, 'maxNewTokens');
  checkStopStrings(stopStrings);
  const { stopStrings: _settings, ...rest } = options;
  return { ...rest, ...(maxNewTokens !== undefined ? { maxNewTokens } : {}), ...(stopStrings.length > 0 ? { stopStrings: [...stopStrings] } : {}) };
}
