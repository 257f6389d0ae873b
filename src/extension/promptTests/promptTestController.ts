/**
 * Prompt test suites in the Test Explorer: every `*.prompttest.yaml` in the workspace is a test
 * item, its cases are children placed at their `name:` line, and problems in a suite file are
 * diagnostics at the line to fix. Open editors are parsed as typed, so items and diagnostics
 * follow unsaved edits; files on disk are watched. In Restricted Mode no suite is read or parsed:
 * the view holds one item saying why, until the workspace is trusted. Running is runPromptTests.ts's.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ParsedSuite, PromptTestCase, SourceRange } from '../../core/prompttest';
import { readSuiteFile } from '../../node/promptTestRunner';
import { readFileLimits } from '../settings';
import { manageTrustMarkdown, onDidGrantTrust, untrustedReason, workspaceTrusted } from '../workspaceTrust';
import { toDiagnostic, toRange } from './suiteDiagnostics';

export const SUITE_FILES = '**/*.prompttest.{yaml,yml}';
const EXCLUDE = '**/{node_modules,.git}/**';
/** How long typing must pause before a suite is parsed again. */
const PARSE_DELAY_MS = 250;

export function isSuiteFile(uri: vscode.Uri): boolean {
  return uri.scheme === 'file' && /\.prompttest\.ya?ml$/i.test(uri.path);
}

/** A case item's parsed case and its file, for the run handler. */
export interface CaseEntry {
  case: PromptTestCase;
  uri: vscode.Uri;
  /** The suite's `model:` as written, and where (absent: samplingLab.model). */
  model?: string;
  modelRange?: SourceRange;
}

export interface SuiteSnapshot {
  uri: string;
  label: string;
  error?: string;
  /** `line`: the case's `name:` line, from 0. */
  cases: { id: string; label: string; line: number }[];
}

/** The one item the Testing view holds in Restricted Mode: why it is otherwise empty. */
export const UNTRUSTED_ITEM_ID = 'samplingLab.promptTests.untrusted';
export const UNTRUSTED_TESTS_REASON = untrustedReason('discovers and runs prompt test suites (*.prompttest.yaml)');

export type RunHandler = (request: vscode.TestRunRequest, token: vscode.CancellationToken) => Promise<void>;

export class PromptTestController implements vscode.Disposable {
  readonly controller: vscode.TestController;
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('samplingLab.prompttest');
  private readonly entries = new Map<string, CaseEntry>();
  private readonly disposables: vscode.Disposable[] = [];
  private discovered: Promise<void> | undefined;

  constructor(
    run: RunHandler,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.controller = vscode.tests.createTestController('samplingLab.promptTests', 'Prompt Tests');
    this.controller.resolveHandler = async (item) => {
      if (!item) await this.discoverAll();
      else if (item.uri) await this.update(item.uri);
    };
    this.controller.refreshHandler = () => this.rediscover();
    this.controller.createRunProfile('Run', vscode.TestRunProfileKind.Run, run, true);

    const watcher = vscode.workspace.createFileSystemWatcher(SUITE_FILES);
    this.disposables.push(
      this.controller,
      this.diagnostics,
      watcher,
      watcher.onDidCreate((uri) => this.updateLater(uri)),
      watcher.onDidChange((uri) => this.updateLater(uri)),
      watcher.onDidDelete((uri) => this.remove(uri)),
      vscode.workspace.onDidOpenTextDocument((doc) => isSuiteFile(doc.uri) && this.updateLater(doc.uri, doc.getText())),
      // Typing re-parses once the keys pause, not on every keystroke.
      vscode.workspace.onDidChangeTextDocument((e) => isSuiteFile(e.document.uri) && this.updateSoon(e.document)),
      // Closing an unsaved editor: the file on disk is the suite again.
      vscode.workspace.onDidCloseTextDocument((doc) => isSuiteFile(doc.uri) && this.updateLater(doc.uri)),
      onDidGrantTrust(() => this.trusted()),
    );
    if (workspaceTrusted()) this.parseOpenEditors();
    else this.showUntrusted();
  }

  private parseOpenEditors(): void {
    for (const doc of vscode.workspace.textDocuments) if (isSuiteFile(doc.uri)) this.updateLater(doc.uri, doc.getText());
  }

  /** Restricted Mode: nothing is read; one item says why, with the link that changes it. */
  private showUntrusted(): void {
    const item = this.controller.createTestItem(UNTRUSTED_ITEM_ID, 'Trust this workspace to discover its prompt tests');
    item.error = manageTrustMarkdown(UNTRUSTED_TESTS_REASON);
    this.controller.items.replace([item]);
  }

  /** The workspace was just trusted: find and parse its suites now, no reload needed. */
  private trusted(): void {
    this.controller.items.delete(UNTRUSTED_ITEM_ID);
    this.log.info('Prompt tests: the workspace is trusted; discovering suites.');
    this.parseOpenEditors();
    void this.rediscover().catch((e) => this.log.error(`Prompt tests: discovery failed: ${(e as Error).message}`));
  }

  /** Finds every suite in the workspace (once; the watcher keeps it current). */
  discoverAll(): Promise<void> {
    if (!workspaceTrusted()) {
      this.log.info(`Prompt tests: not discovered. ${UNTRUSTED_TESTS_REASON}`);
      return Promise.resolve();
    }
    this.discovered ??= (async () => {
      const files = await vscode.workspace.findFiles(SUITE_FILES, EXCLUDE);
      // A suite deleted while nobody watched (or before the watcher said so) leaves the tree too.
      const found = new Set(files.map((uri) => uri.toString()));
      const stale: vscode.Uri[] = [];
      this.controller.items.forEach((item) => {
        if (item.uri && !found.has(item.uri.toString())) stale.push(item.uri);
      });
      for (const uri of stale) this.remove(uri);
      await Promise.all(files.map((uri) => this.update(uri).catch((e) => this.log.error(`Prompt tests: ${uri.fsPath}: ${(e as Error).message}`))));
      this.log.info(`Prompt tests: ${files.length} suite files, ${this.entries.size} cases.`);
    })();
    return this.discovered;
  }

  /** Scans the workspace again (the Test Explorer's Refresh). */
  rediscover(): Promise<void> {
    this.discovered = undefined;
    return this.discoverAll();
  }

  /** The items as the Test Explorer shows them: files, their problems, and their cases. */
  snapshot(): SuiteSnapshot[] {
    const files: SuiteSnapshot[] = [];
    this.controller.items.forEach((file) => {
      const cases: SuiteSnapshot['cases'] = [];
      file.children.forEach((c) => cases.push({ id: c.id, label: c.label, line: c.range?.start.line ?? -1 }));
      const error = file.error instanceof vscode.MarkdownString ? file.error.value : file.error;
      files.push({ uri: file.uri?.toString() ?? '', label: file.label, error, cases });
    });
    return files;
  }

  /** The items with these ids (files or cases), searching the whole tree. */
  itemsWithIds(ids: readonly string[]): vscode.TestItem[] {
    const found: vscode.TestItem[] = [];
    const visit = (item: vscode.TestItem) => {
      if (ids.includes(item.id)) found.push(item);
      else item.children.forEach(visit);
    };
    this.controller.items.forEach(visit);
    return found;
  }

  entry(item: vscode.TestItem): CaseEntry | undefined {
    return this.entries.get(item.id);
  }

  /** The case items under `item` (itself, for a case), in file order. */
  casesOf(item: vscode.TestItem): vscode.TestItem[] {
    if (this.entries.has(item.id)) return [item];
    const cases: vscode.TestItem[] = [];
    item.children.forEach((child) => cases.push(...this.casesOf(child)));
    return cases.sort((a, b) => (a.range?.start.line ?? 0) - (b.range?.start.line ?? 0));
  }

  /** Parses in flight per file: only the latest one's result is shown. */
  private readonly versions = new Map<string, number>();

  /** The newest parse started per file, so a caller whose parse was overtaken waits for the one that counts. */
  private readonly newest = new Map<string, { version: number; parse: Promise<ParsedSuite | undefined> }>();

  /**
   * Re-reads a suite: from `text` (an open editor's), or from disk; never in Restricted Mode. Reading and the files the
   * suite names are asynchronous (never a synchronous read on the extension host), with the
   * workspace rules of readSuiteFile; a parse that a newer one overtook is dropped, and its caller
   * gets the newer one's result: discovery must not end before a file it found is in the tree
   * (a watcher's parse overtaking discovery's left a suite missing from discover()).
   */
  update(uri: vscode.Uri, text?: string): Promise<ParsedSuite | undefined> {
    if (!workspaceTrusted()) return Promise.resolve(undefined);
    const fileId = uri.toString();
    const version = (this.versions.get(fileId) ?? 0) + 1;
    this.versions.set(fileId, version);
    const parse = this.parse(uri, fileId, version, text);
    this.newest.set(fileId, { version, parse });
    const forget = () => {
      if (this.newest.get(fileId)?.parse === parse) this.newest.delete(fileId);
    };
    parse.then(forget, forget);
    return parse;
  }

  /** The result of the parse that overtook `version`, if one did (a removal overtakes with none). */
  private overtaken(fileId: string, version: number): Promise<ParsedSuite | undefined> {
    const newer = this.newest.get(fileId);
    return newer && newer.version > version ? newer.parse : Promise.resolve(undefined);
  }

  private async parse(uri: vscode.Uri, fileId: string, version: number, text?: string): Promise<ParsedSuite | undefined> {
    if (text === undefined) {
      const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === fileId);
      if (open) text = unsavedText(open);
    }
    const root = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? path.dirname(uri.fsPath);
    let parsed: ParsedSuite | undefined;
    let failure: string | undefined;
    try {
      parsed = await readSuiteFile(uri.fsPath, { root, text, ...readFileLimits() });
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') {
        if (this.versions.get(fileId) === version) this.remove(uri);
        return undefined;
      }
      // A suite file that is too big, not a regular file, or a bad limit setting: say so on the item.
      failure = (e as Error).message;
    }
    if (this.versions.get(fileId) !== version) return this.overtaken(fileId, version);
    this.diagnostics.set(uri, parsed ? parsed.problems.map(toDiagnostic) : []);

    let file = this.controller.items.get(fileId);
    if (!file) {
      file = this.controller.createTestItem(fileId, vscode.workspace.asRelativePath(uri), uri);
      this.controller.items.add(file);
    }
    // No descriptions on items: the Test Explorer reads an item's description to screen readers
    // in place of its label, so a case would be announced as "greedy (Passed)".
    const errors = parsed?.problems.filter((p) => p.severity === 'error') ?? [];
    file.error =
      failure !== undefined
        ? new vscode.MarkdownString(`This suite cannot be read: ${failure}`)
        : errors.length > 0
          ? new vscode.MarkdownString(`${errors.length} ${errors.length === 1 ? 'problem' : 'problems'} in this suite (see Problems): ${errors[0]!.message}`)
          : undefined;

    for (const [id, e] of this.entries) if (e.uri.toString() === fileId) this.entries.delete(id);
    const seen = new Map<string, number>();
    const children = (parsed?.cases ?? []).map((c) => {
      // Names are the ids, so results stay on a case while the file is edited around it.
      const count = (seen.get(c.name) ?? 0) + 1;
      seen.set(c.name, count);
      const id = `${fileId}#${c.name}${count > 1 ? `#${count}` : ''}`;
      const item = this.controller.createTestItem(id, c.name, uri);
      item.range = toRange(c.nameRange);
      this.entries.set(id, { case: c, uri, model: parsed?.model, modelRange: parsed?.modelRange });
      return item;
    });
    file.children.replace(children);
    return parsed;
  }

  /** update() from an event: a failure is logged, never an unhandled rejection. */
  private updateLater(uri: vscode.Uri, text?: string): void {
    this.update(uri, text).catch((e) => this.log.error(`Prompt tests: ${uri.fsPath}: ${(e as Error).message}`));
  }

  private readonly pending = new Map<string, NodeJS.Timeout>();

  private updateSoon(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    clearTimeout(this.pending.get(key));
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        // A saved or reverted document is the file on disk: read that, so a suite deleted after its
        // editor was reverted is not brought back from the editor's copy (CI saw it reappear).
        if (!doc.isClosed) this.updateLater(doc.uri, unsavedText(doc));
      }, PARSE_DELAY_MS),
    );
  }

  private remove(uri: vscode.Uri): void {
    const fileId = uri.toString();
    // A parse still in flight for this file must not bring it back.
    this.versions.set(fileId, (this.versions.get(fileId) ?? 0) + 1);
    this.controller.items.delete(fileId);
    this.diagnostics.delete(uri);
    for (const [id, e] of this.entries) if (e.uri.toString() === fileId) this.entries.delete(id);
  }

  dispose(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    for (const d of this.disposables) d.dispose();
  }
}

/** An editor's text where it differs from the file (unsaved edits); undefined means read the file. */
function unsavedText(doc: vscode.TextDocument): string | undefined {
  return !doc.isClosed && doc.isDirty ? doc.getText() : undefined;
}
