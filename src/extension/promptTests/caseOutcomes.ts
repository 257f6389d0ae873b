/**
 * How a prompt test case's outcome is reported in the Testing view, whichever engine ran it (the
 * panel's model or an endpoint's, in the host): one line of output per case, pass or fail with
 * the failure placed in the YAML, and a case that could not run errored at the line that says why.
 */
import * as vscode from 'vscode';
import type { CaseResult } from '../../core/prompttest';
import type { CaseEntry } from './promptTestController';
import { failureMessages } from './testMessages';
import { toRange } from './suiteDiagnostics';

export interface PromptTestRunSummary {
  passed: number;
  failed: number;
  errored: number;
  skipped: number;
  cached: number;
}

export function emptySummary(): PromptTestRunSummary {
  return { passed: 0, failed: 0, errored: 0, skipped: 0, cached: 0 };
}

/** A case to run: its Test Explorer item and its parsed case. */
export interface CaseToRun {
  item: vscode.TestItem;
  entry: CaseEntry;
}

/** The parts of a TestRun a case's outcome uses (a test records them). */
export type CaseRun = Pick<vscode.TestRun, 'started' | 'passed' | 'failed' | 'errored' | 'skipped' | 'appendOutput'>;

/** Reports outcomes into one run and counts them. */
export class CaseOutcomes {
  readonly summary = emptySummary();

  constructor(readonly run: CaseRun) {}

  say(line: string): void {
    this.run.appendOutput(`${line.replace(/\r?\n/g, '\r\n')}\r\n`);
  }

  result({ item, entry }: CaseToRun, result: CaseResult): void {
    if (result.cached) this.summary.cached++;
    this.run.appendOutput(`${result.pass ? '✓' : '✗'} ${entry.case.name}: ${result.summary}${result.cached ? ' (cached)' : ''}\r\n`, undefined, item);
    if (result.pass) {
      this.run.passed(item, result.durationMs);
      this.summary.passed++;
    } else {
      this.run.failed(item, failureMessages(entry.case, result, entry.uri), result.durationMs);
      this.summary.failed++;
    }
  }

  /** The case did not run, and the reason is the test's failure (a strategy the engine refuses), at the case. */
  notRun({ item, entry }: CaseToRun, reason: string): void {
    const message = new vscode.TestMessage(reason);
    message.location = new vscode.Location(entry.uri, toRange(entry.case.nameRange));
    this.run.appendOutput(`✗ ${entry.case.name}: ${reason}\r\n`, undefined, item);
    this.run.failed(item, message);
    this.summary.failed++;
  }

  /** The case could not run: `at` is where the reason is written (the suite's model line), else the case. */
  errored({ item, entry }: CaseToRun, text: string, at?: vscode.Range, durationMs?: number): void {
    const message = new vscode.TestMessage(text);
    message.location = new vscode.Location(entry.uri, at ?? item.range ?? new vscode.Range(0, 0, 0, 0));
    this.run.appendOutput(`! ${entry.case.name}: ${text}\r\n`, undefined, item);
    this.run.errored(item, message, durationMs);
    this.summary.errored++;
  }

  skipped({ item }: CaseToRun): void {
    this.run.skipped(item);
    this.summary.skipped++;
  }
}
