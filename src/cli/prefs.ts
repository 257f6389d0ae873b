/**
 * `sampling-lab prefs [file]`: the Preferences view in a terminal. Win rates and Bradley–Terry
 * strengths per strategy from the recorded pairs, the pairwise loss of a scorer, and export to
 * JSONL or CSV.
 */
import { exportFormatOf, SCORERS, summarizePreferences, type PreferenceSummary, type ScorerName } from '../core/preferences';
import { PREFERENCES_FILE, readPreferences, writePreferencesExport } from '../node/preferencesFile';
import { parseFlags, real } from './flags';
import { UsageError } from './usageError';

export const PREFS_USAGE = `Usage: sampling-lab prefs [options] [file]

Summarises preference pairs recorded from the Compare panel (default ${PREFERENCES_FILE}):
win rate and Bradley–Terry strength per strategy, with the counts behind them, and how well a
scorer agrees with the choices (pairwise loss −log σ(s_chosen − s_rejected); ln 2 = chance).

Options:
  --scorer S          mean_logprob (default) or sum_logprob
  --prior X           Bradley–Terry prior: virtual games per pair of strategies (default 1)
  --export FILE       also write the records to FILE (.jsonl or .csv)
  --json              machine-readable summary
  -h, --help          this help`;

export async function prefs(argv: string[]): Promise<number> {
  const parsed = parseFlags(
    argv,
    {
      scorer: { type: 'string' },
      prior: { type: 'string' },
      export: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    PREFS_USAGE,
  );
  const v = parsed.values;
  if (v.help) {
    console.log(PREFS_USAGE);
    return 0;
  }
  if (parsed.positionals.length > 1) throw new UsageError(`Give one preferences file (got ${parsed.positionals.length}).`);
  const scorer = (v.scorer ?? 'mean_logprob') as ScorerName;
  if (!(scorer in SCORERS)) throw new UsageError(`--scorer must be one of: ${Object.keys(SCORERS).join(', ')} (got "${v.scorer}").`);
  const prior = real('--prior', v.prior);
  if (prior !== undefined && prior < 0) throw new UsageError(`--prior must be ≥ 0 (got ${prior}).`);
  const format = v.export === undefined ? undefined : exportFormatOf(v.export);
  if (v.export !== undefined && !format) throw new UsageError(`--export: name the file .jsonl or .csv (got "${v.export}").`);

  const file = parsed.positionals[0] ?? PREFERENCES_FILE;
  const read = readPreferences(file);
  for (const s of read.skipped) process.stderr.write(`${file}:${s.line}: skipped: ${s.reason}\n`);
  if (read.records.length === 0) {
    process.stderr.write(`No preference pairs in ${file}. Mark the better of two cards in the Compare panel to record some.\n`);
    return 1;
  }
  const summary = summarizePreferences(read.records, { scorer, prior });
  console.log(v.json ? JSON.stringify(summary, null, 2) : renderSummary(summary));
  if (v.export !== undefined && format) {
    writePreferencesExport(read.records, format, v.export);
    if (!v.json) console.log(`Exported ${read.records.length} records to ${v.export}`);
  }
  return 0;
}

export function renderSummary(s: PreferenceSummary): string {
  const header = ['strategy', 'BT score', 'weight', 'win rate', 'wins', 'losses'];
  const rows = s.standings.map((t) => [t.strategy, signed(t.score), t.weight.toFixed(3), `${(t.winRate * 100).toFixed(0)}%`, String(t.wins), String(t.losses)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const out = [
    `${s.records} pairs · ${s.standings.length} strategies · Bradley–Terry prior ${s.bradleyTerry.prior}, ${s.bradleyTerry.iterations} MM iterations${s.bradleyTerry.converged ? '' : ' (not converged)'}`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
  ];
  if (s.sameStrategy > 0) out.push(`${s.sameStrategy} pairs compared two samples of one strategy (not in the table).`);
  if (s.unlabelled > 0) out.push(`${s.unlabelled} pairs have no strategy names (not in the table).`);
  const l = s.loss;
  out.push(
    l.pairs > 0
      ? `Scorer ${SCORERS[l.scorer].label}: pairwise loss ${l.meanLoss.toFixed(3)} (ln 2 = 0.693 is chance), agrees with ${(l.agreement * 100).toFixed(0)}% of ${l.pairs} pairs` +
          (l.skipped > 0 ? `; ${l.skipped} pairs without scores` : '')
      : `Scorer ${SCORERS[l.scorer].label}: no pair has scores for both completions.`,
  );
  return out.join('\n');
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}`;
}
