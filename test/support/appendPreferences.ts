/**
 * A child process for the preference-file tests: appends COUNT records (or until killed, with
 * COUNT "forever") to FILE, each tagged with WRITER and its index and padded to about BYTES.
 *   node -r ./test/support/register.cjs test/support/appendPreferences.ts FILE WRITER COUNT BYTES
 */
import type { PreferenceRecord } from '../../src/core/preferences';
import { appendPreference } from '../../src/node/preferencesFile';

const [file, writer, count, bytes] = process.argv.slice(2);
if (!file || !writer || !count || !bytes) throw new Error('usage: appendPreferences.ts FILE WRITER COUNT BYTES');

function taggedRecord(writer: string, index: number, size: number): PreferenceRecord {
  // Text of a known length that says whose it is, so a merged or cut line shows up on reading.
  const tag = `${writer}#${index}`;
  const filler = `${tag} `.repeat(Math.ceil(size / (tag.length + 1))).slice(0, size);
  return { prompt: tag, chosen: filler, rejected: `${filler.length}`, chosen_strategy: writer, rejected_strategy: 'other', model: 'test' };
}

const limit = count === 'forever' ? Infinity : Number(count);
for (let i = 0; i < limit; i++) appendPreference(file, taggedRecord(writer, i, Number(bytes)));
