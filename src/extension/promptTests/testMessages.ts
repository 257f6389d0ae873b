/**
 * A failed case as Test Explorer messages, placed in the YAML: one at each assertion that did not
 * hold in enough runs (what it expected, the rate, and the first output that failed it), and the
 * case's one-line summary at its name. `equals` gets expected/actual, so the diff view opens.
 */
import * as vscode from 'vscode';
import { describeAssertion, quote, requiredRuns, type CaseResult, type PromptTestCase } from '../../core/prompttest';
import { toRange } from './suiteDiagnostics';

export function failureMessages(c: PromptTestCase, result: CaseResult, uri: vscode.Uri): vscode.TestMessage[] {
  const n = result.runs;
  const needed = requiredRuns(result.passRate, n);
  const messages: vscode.TestMessage[] = [];
  const head = new vscode.TestMessage(`${c.name}: ${result.summary}`);
  head.location = new vscode.Location(uri, toRange(c.nameRange));
  messages.push(head);
  for (const a of result.assertions) {
    if (a.passed === n) continue;
    const failing = a.outcomes.findIndex((o) => !o.pass);
    if (failing < 0) continue;
    const outcome = a.outcomes[failing]!;
    const output = result.failures.find((f) => f.run === failing)?.output ?? '';
    const text = [
      `${describeAssertion(a.assertion)} held in ${a.passed}/${n} runs (${Math.round((a.passed / Math.max(n, 1)) * 100)}%); the case needs ${needed}/${n} runs passing every assertion.`,
      `Run ${failing + 1}${result.deterministic ? ' (greedy: one decode for all runs)' : ''}: ${outcome.message}`,
      `Output: ${quote(output)}`,
    ].join('\n');
    const message =
      a.assertion.type === 'equals' ? vscode.TestMessage.diff(text, a.assertion.value, output) : new vscode.TestMessage(text);
    message.location = new vscode.Location(uri, toRange(a.assertion.range));
    messages.push(message);
  }
  return messages;
}
