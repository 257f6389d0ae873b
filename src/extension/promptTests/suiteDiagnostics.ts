/** Suite-file problems as editor diagnostics, at the line and column the parser names. */
import * as vscode from 'vscode';
import type { SourceRange, SuiteProblem } from '../../core/prompttest';

/** Suite ranges count from 1 with an exclusive end column; VS Code's from 0. */
export function toRange(r: SourceRange): vscode.Range {
  return new vscode.Range(r.line - 1, r.column - 1, r.endLine - 1, Math.max(r.endColumn - 1, 0));
}

export function toDiagnostic(p: SuiteProblem): vscode.Diagnostic {
  const d = new vscode.Diagnostic(toRange(p.range), p.message, p.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Error);
  d.source = 'Sampling Lab prompt tests';
  return d;
}
