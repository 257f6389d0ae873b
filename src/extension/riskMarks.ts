/**
 * Hallucination-risk marks in the editor: when an answer with a RiskReport is inserted, its risky
 * sentences get a diagnostic (collection "Sampling Lab") whose hover says why. A mark follows
 * edits before it, goes when its text is edited or the document closes, and "Sampling Lab: Clear
 * Hallucination Risk Marks" removes them all.
 */
import * as vscode from 'vscode';
import { UNBACKED_SENTENCE_RISK, type RiskReport } from '../protocol/messages';

export const RISK_DIAGNOSTIC_CODE = 'hallucination-risk';
/** A context key for the palette: the clear command shows only when there is something to clear. */
const HAS_MARKS_CONTEXT = 'samplingLab.hasRiskMarks';

interface Mark {
  /** Offsets into the document; diagnostics are rebuilt from them after an edit. */
  start: number;
  end: number;
  message: string;
  severity: vscode.DiagnosticSeverity;
}

/**
 * Which sentences of an answer to mark, and how. Sentences the samples do not back
 * (risk ≥ UNBACKED_SENTENCE_RISK) are marked. A High answer whose sentences are each backed
 * (say, a one-sentence answer the model stated with low confidence) still marks its riskiest
 * sentence: the warning belongs on the text. Warning for a High answer, Information otherwise.
 */
export function sentencesToMark(report: RiskReport): { sentence: RiskReport['sentences'][number]; severity: vscode.DiagnosticSeverity }[] {
  const severity = report.band === 'High' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Information;
  const unbacked = report.sentences.filter((s) => s.risk >= UNBACKED_SENTENCE_RISK);
  if (unbacked.length === 0 && report.band === 'High' && report.sentences.length > 0) {
    const riskiest = report.sentences.reduce((a, b) => (b.risk > a.risk ? b : a));
    return [{ sentence: riskiest, severity }];
  }
  return unbacked.map((sentence) => ({ sentence, severity }));
}

export function markMessage(report: RiskReport, sentence: RiskReport['sentences'][number]): string {
  const words = sentence.weakestWords.length > 0 ? `; words the samples rarely state: ${sentence.weakestWords.map((w) => `"${w}"`).join(', ')}` : '';
  return (
    `Hallucination risk ${report.band} (${report.risk.toFixed(2)}): ${report.explanation} ` +
    `This sentence: risk ${sentence.risk.toFixed(2)} against ${report.samples} samples${words}.`
  );
}

export class RiskMarks implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('Sampling Lab');
  private readonly marks = new Map<string, { uri: vscode.Uri; marks: Mark[] }>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.disposables.push(
      this.collection,
      vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e)),
      vscode.workspace.onDidCloseTextDocument((d) => this.remove(d.uri)),
    );
  }

  /** Marks the risky sentences of `report.answer`, inserted at `startOffset` of `document`. */
  mark(document: vscode.TextDocument, startOffset: number, report: RiskReport): number {
    const added = sentencesToMark(report).map(({ sentence, severity }) => ({
      start: startOffset + sentence.start,
      end: startOffset + sentence.end,
      message: markMessage(report, sentence),
      severity,
    }));
    if (added.length === 0) return 0;
    const key = document.uri.toString();
    const entry = this.marks.get(key) ?? { uri: document.uri, marks: [] };
    entry.marks.push(...added);
    this.marks.set(key, entry);
    this.publish(document);
    return added.length;
  }

  clear(): void {
    this.marks.clear();
    this.collection.clear();
    void this.updateContext();
  }

  private remove(uri: vscode.Uri): void {
    if (!this.marks.delete(uri.toString())) return;
    this.collection.delete(uri);
    void this.updateContext();
  }

  /** Shifts marks after an edit before them; drops marks whose text the edit touches. */
  private onEdit(e: vscode.TextDocumentChangeEvent): void {
    const entry = this.marks.get(e.document.uri.toString());
    if (!entry || e.contentChanges.length === 0) return;
    let marks = entry.marks;
    // Changes are reported against the document before the edit, in no particular order; apply
    // them from the end of the document backwards so earlier offsets stay valid.
    const changes = [...e.contentChanges].sort((a, b) => b.rangeOffset - a.rangeOffset);
    for (const c of changes) {
      const from = c.rangeOffset;
      const to = c.rangeOffset + c.rangeLength;
      const delta = c.text.length - c.rangeLength;
      marks = marks.flatMap((m) => {
        if (to <= m.start) return [{ ...m, start: m.start + delta, end: m.end + delta }];
        if (from >= m.end) return [m];
        return [];
      });
    }
    entry.marks = marks;
    if (marks.length === 0) this.remove(e.document.uri);
    else this.publish(e.document);
  }

  private publish(document: vscode.TextDocument): void {
    const entry = this.marks.get(document.uri.toString());
    if (!entry) return;
    this.collection.set(
      entry.uri,
      entry.marks.map((m) => {
        const d = new vscode.Diagnostic(new vscode.Range(document.positionAt(m.start), document.positionAt(m.end)), m.message, m.severity);
        d.source = 'Sampling Lab';
        d.code = RISK_DIAGNOSTIC_CODE;
        return d;
      }),
    );
    void this.updateContext();
  }

  private updateContext(): Thenable<unknown> {
    return vscode.commands.executeCommand('setContext', HAS_MARKS_CONTEXT, this.marks.size > 0);
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    this.marks.clear();
  }
}
