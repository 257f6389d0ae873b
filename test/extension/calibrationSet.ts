/**
 * A small labelled question set for Calibrate Hallucination Risk… tests: six people the bundled
 * model knows (answers: their cities) and six it never saw (unanswerable), from its world files,
 * and a held-out question to probe risk with.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID } from './extensionApi';

export function bundledPeople(which: 'known' | 'heldout'): { name: string; city: string }[] {
  const root = vscode.extensions.getExtension(EXTENSION_ID)!.extensionUri.fsPath;
  return JSON.parse(fs.readFileSync(path.join(root, 'models', 'facts-lm', 'world', `${which}.json`), 'utf8')) as { name: string; city: string }[];
}

const question = (name: string) => `Q: Where was ${name} born?\nA:`;

/** Writes the set as JSONL in `dir` (a fresh temporary folder by default); returns its file and the probe question. */
export function writeCalibrationSet(dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-cal-set-'))): { set: string; probe: string } {
  const set = path.join(dir, 'set.jsonl');
  fs.writeFileSync(
    set,
    [
      ...bundledPeople('known').slice(20, 26).map((p) => JSON.stringify({ question: question(p.name), answers: [p.city] })),
      ...bundledPeople('heldout').slice(20, 26).map((p) => JSON.stringify({ question: question(p.name), answerable: false })),
    ].join('\n') + '\n',
  );
  return { set, probe: question(bundledPeople('heldout')[30]!.name) };
}
