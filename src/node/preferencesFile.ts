/**
 * `.sampling-lab/preferences.jsonl` on disk. An append is one write(2) of one whole line to a
 * file opened with O_APPEND, so concurrent appenders (two windows, the CLI) never interleave
 * inside a line, and a crash can at worst cut off the line being written, never an earlier one.
 * Nothing is read before appending (a neighbour's half-written line would look torn and earn a
 * stray blank line); instead the reader recovers a record appended after a cut-off line. The
 * file and `.sampling-lab/` are never written through a symlink a repository planted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportPreferences, parsePreferencesJsonl, preferenceLine, type ExportFormat, type ParsedPreferences, type PreferenceRecord } from '../core/preferences';
import { appendLineNoFollow, readOwnFile, readOwnFileAsync, writeFileNoFollow } from './safeFiles';

export const PREFERENCES_FILE = path.join('.sampling-lab', 'preferences.jsonl');
/** Far above any real file (a record is a few KB); a bigger one is refused rather than read into memory. */
export const MAX_PREFERENCES_BYTES = 256 * 1024 * 1024;

export function preferencesPath(workspaceRoot: string): string {
  return path.join(workspaceRoot, PREFERENCES_FILE);
}

/** The folder whose `.sampling-lab/` holds `file`, which is where symlink checks start. */
function trustedBase(file: string): string {
  const full = path.resolve(file);
  return full.endsWith(path.sep + PREFERENCES_FILE) ? full.slice(0, -PREFERENCES_FILE.length - 1) : path.dirname(full);
}

export function appendPreference(file: string, record: PreferenceRecord): void {
  appendLineNoFollow(path.resolve(file), preferenceLine(record), trustedBase(file));
}

/** The records in the file (none when it does not exist yet), with the lines that were skipped and why. */
export function readPreferences(file: string): ParsedPreferences {
  const text = readOwnFile(file, MAX_PREFERENCES_BYTES);
  return text === undefined ? { records: [], skipped: [], tornTail: false } : parsePreferencesJsonl(text);
}

/** readPreferences without blocking, for the extension host. */
export async function readPreferencesAsync(file: string): Promise<ParsedPreferences> {
  const text = await readOwnFileAsync(file, MAX_PREFERENCES_BYTES);
  return text === undefined ? { records: [], skipped: [], tornTail: false } : parsePreferencesJsonl(text);
}

/** Writes an export atomically: a temporary file next to `outFile`, then a rename. */
export function writePreferencesExport(records: readonly PreferenceRecord[], format: ExportFormat, outFile: string): void {
  // The user names this file (a save dialog, --export): folders are made as asked, the file itself is not followed.
  const full = path.resolve(outFile);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  writeFileNoFollow(full, exportPreferences(records, format), path.dirname(full));
}
