/**
 * The Preferences view: what the recorded pairs say about the strategies. Bradley–Terry strength
 * per strategy with the wins and comparisons behind it, win rates, and how well a scorer (mean
 * log-prob by default, best-of-N's own score) agrees with the user, as the reward-model loss
 * −log σ(s_chosen − s_rejected). A native tree: keyboard, screen readers and themes come with it.
 * In Restricted Mode the file is not read: the view's welcome says why (package.json viewsWelcome).
 */
import * as vscode from 'vscode';
import { SCORERS, summarizePreferences, type PreferenceSummary, type ScorerName } from '../../core/preferences';
import { preferencesPath, readPreferences } from '../../node/preferencesFile';
import { SECTION } from '../settings';
import { onDidGrantTrust, workspaceTrusted } from '../workspaceTrust';

export const PREFERENCES_VIEW_ID = 'samplingLab.preferences';

export interface PreferenceItem {
  id: string;
  label: string;
  description: string;
  tooltip: string;
  icon: string;
  /** Colour of the icon (a theme colour id). */
  color?: string;
  command?: vscode.Command;
}

/** The scorer setting, falling back to the default for anything unknown. */
export function scorerSetting(): ScorerName {
  const value = vscode.workspace.getConfiguration(SECTION).get<string>('preferences.scorer', 'mean_logprob');
  return value in SCORERS ? (value as ScorerName) : 'mean_logprob';
}

export class PreferencesView implements vscode.TreeDataProvider<PreferenceItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(private readonly log: vscode.LogOutputChannel) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/.sampling-lab/preferences.jsonl');
    this.disposables.push(
      watcher,
      watcher.onDidCreate(() => this.refresh()),
      watcher.onDidChange(() => this.refresh()),
      watcher.onDidDelete(() => this.refresh()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(`${SECTION}.preferences.scorer`) && this.refresh()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh()),
      onDidGrantTrust(() => this.refresh()),
    );
  }

  refresh(): void {
    this.changed.fire();
  }

  /** The preferences file of the first folder on disk, if there is one. */
  file(): vscode.Uri | undefined {
    const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
    return folder ? vscode.Uri.file(preferencesPath(folder.uri.fsPath)) : undefined;
  }

  /** The summary the view shows, or undefined when there are no pairs yet (or the workspace is not trusted). */
  summary(): { summary: PreferenceSummary; skipped: { line: number; reason: string }[] } | undefined {
    const file = this.file();
    if (!file || !workspaceTrusted()) return undefined;
    let read;
    try {
      read = readPreferences(file.fsPath);
    } catch (e) {
      this.log.error(`Cannot read ${file.fsPath}: ${(e as Error).message}`);
      return undefined;
    }
    if (read.records.length === 0) return undefined;
    return { summary: summarizePreferences(read.records, { scorer: scorerSetting() }), skipped: read.skipped };
  }

  getTreeItem(item: PreferenceItem): vscode.TreeItem {
    const tree = new vscode.TreeItem(item.label, vscode.TreeItemCollapsibleState.None);
    tree.id = item.id;
    tree.description = item.description;
    tree.tooltip = new vscode.MarkdownString(item.tooltip);
    tree.iconPath = new vscode.ThemeIcon(item.icon, item.color ? new vscode.ThemeColor(item.color) : undefined);
    tree.command = item.command;
    tree.accessibilityInformation = { label: `${item.label}, ${item.description}` };
    return tree;
  }

  /** Every row is at the top level; TreeView.reveal needs this to exist. */
  getParent(): undefined {
    return undefined;
  }

  getChildren(parent?: PreferenceItem): PreferenceItem[] {
    if (parent) return [];
    const read = this.summary();
    void vscode.commands.executeCommand('setContext', 'samplingLab.hasPreferences', read !== undefined);
    return read ? preferenceItems(read.summary, read.skipped, this.file()!) : [];
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** The rows of the view, top to bottom. */
export function preferenceItems(s: PreferenceSummary, skipped: readonly { line: number; reason: string }[], file: vscode.Uri): PreferenceItem[] {
  const open: vscode.Command = { command: 'vscode.open', title: 'Open preferences.jsonl', arguments: [file] };
  const items: PreferenceItem[] = [
    {
      id: 'pairs',
      label: `${s.records} ${s.records === 1 ? 'pair' : 'pairs'}`,
      description: `${s.standings.length} strategies · Bradley–Terry, prior ${s.bradleyTerry.prior}`,
      tooltip: [
        `**${s.records}** preference pairs in \`.sampling-lab/preferences.jsonl\`.`,
        '',
        'Strength is the Bradley–Terry log-strength (mean 0): the difference of two strengths is the log-odds that you prefer one strategy to the other.',
        s.sameStrategy > 0 ? `\n${s.sameStrategy} pairs compare two samples of one strategy: they rank samples, not strategies.` : '',
        s.unlabelled > 0 ? `\n${s.unlabelled} records have no strategy names.` : '',
      ].join('\n'),
      icon: 'law',
      command: open,
    },
  ];
  s.standings.forEach((t, rank) => {
    items.push({
      id: `strategy:${t.strategy}`,
      label: t.strategy,
      description: `strength ${signed(t.score)} · won ${t.wins} of ${t.comparisons} (${percent(t.winRate)})`,
      tooltip: [
        `**${t.strategy}**, rank ${rank + 1} of ${s.standings.length}`,
        '',
        `| | |`,
        `|---|---|`,
        `| Bradley–Terry strength | ${signed(t.score)} |`,
        `| weight | ${t.weight.toFixed(3)} |`,
        `| win rate | ${percent(t.winRate)} |`,
        `| wins / losses | ${t.wins} / ${t.losses} |`,
      ].join('\n'),
      icon: rank === 0 ? 'star-full' : 'circle-outline',
      color: t.score >= 0 ? 'charts.green' : 'charts.orange',
    });
  });
  const l = s.loss;
  const scorer = SCORERS[l.scorer].label;
  items.push({
    id: 'scorer',
    label: `Scorer: ${scorer}`,
    description:
      l.pairs > 0
        ? `loss ${l.meanLoss.toFixed(3)} (chance ${Math.LN2.toFixed(3)}) · agrees on ${percent(l.agreement)} of ${l.pairs}`
        : 'no pair has scores for both completions',
    tooltip: [
      `How well **${scorer}** agrees with your choices: the reward-model loss −log σ(s_chosen − s_rejected), averaged over ${l.pairs} pairs.`,
      '',
      `ln 2 = ${Math.LN2.toFixed(3)} is a scorer that cannot tell the two apart; lower is better. It ranks the chosen completion higher in ${percent(l.agreement)} of pairs.`,
      l.skipped > 0 ? `\n${l.skipped} pairs lack a finite score and are left out.` : '',
      '',
      'Click to choose another scorer.',
    ].join('\n'),
    icon: 'pulse',
    color: l.pairs > 0 && l.meanLoss < Math.LN2 ? 'charts.green' : 'charts.orange',
    command: { command: 'samplingLab.preferences.chooseScorer', title: 'Choose Scorer…' },
  });
  if (skipped.length > 0) {
    items.push({
      id: 'skipped',
      label: `${skipped.length} ${skipped.length === 1 ? 'line' : 'lines'} skipped`,
      description: skipped.slice(0, 2).map((x) => `line ${x.line}: ${x.reason}`).join('; '),
      tooltip: skipped.map((x) => `- line ${x.line}: ${x.reason}`).join('\n'),
      icon: 'warning',
      color: 'list.warningForeground',
      command: open,
    });
  }
  return items;
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`;
}

function percent(x: number): string {
  return Number.isFinite(x) ? `${Math.round(x * 100)}%` : '–';
}
