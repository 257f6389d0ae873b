/**
 * `.sampling-lab/preferences.jsonl` on disk. An append is one write(2) of one whole line to a
 * file opened with O_APPEND, so concurrent appenders (two windows, the CLI) never interleave
 * inside a line, and a crash can at worst cut off the line being written, never an earlier one.
 * The next append starts on a fresh line if the file ends mid-line, and the reader skips (and
 * reports) a cut-off line, so one interrupted write costs that record only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportPreferences, parsePreferencesJsonl, preferenceLine, type ExportFormat, type ParsedPreferences, type PreferenceRecord } from '../core/preferences';

export const PREFERENCES_FILE = path.join('.sampling-lab', 'preferences.jsonl');

export function preferencesPath(workspaceRoot: string): string {
  return path.join(workspaceRoot, PREFERENCES_FILE);
}

export function appendPreference(file: string, record: PreferenceRecord): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const line = preferenceLine(record);
  // a+: O_APPEND (every write lands at the end, atomically placed) and readable, to check the last byte.
  const fd = fs.openSync(file, 'a+');
  try {
    const size = fs.fstatSync(fd).size;
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      fs.readSync(fd, last, 0, 1, size - 1);
      // A line cut off by a crash: start ours on a new line so the two do not merge.
      if (last[0] !== 0x0a) prefix = '\n';
    }
    const bytes = Buffer.from(prefix + line, 'utf8');
    let written = fs.writeSync(fd, bytes, 0, bytes.length);
    // A short write (a full disk, a signal) is finished rather than left as a torn line.
    while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written);
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The records in the file (none when it does not exist yet), with the lines that were skipped and why. */
export function readPreferences(file: string): ParsedPreferences {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return { records: [], skipped: [], tornTail: false };
    throw e;
  }
  return parsePreferencesJsonl(text);
}

/** Writes an export atomically: a temporary file next to `outFile`, then a rename. */
export function writePreferencesExport(records: readonly PreferenceRecord[], format: ExportFormat, outFile: string): void {
  fs.mkdirSync(path.dirname(path.resolve(outFile)), { recursive: true });
  const temp = `${outFile}.${process.pid}.tmp`;
  fs.writeFileSync(temp, exportPreferences(records, format));
  fs.renameSync(temp, outFile);
}
