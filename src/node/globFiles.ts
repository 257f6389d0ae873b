/**
 * Finds files by glob for the CLI (`sampling-lab test "prompts/**\/*.prompttest.yaml"`); Node 20
 * has no fs.glob. Supports `**`, `*`, `?`, `[abc]` and `{a,b}`, which is what suite paths need.
 * Walks only below the pattern's fixed prefix, never into node_modules or .git, and never
 * through symbolic links to folders.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const SKIPPED_FOLDERS = new Set(['node_modules', '.git']);

export function hasGlobChars(pattern: string): boolean {
  return /[*?[{]/.test(pattern);
}

/** A regular expression for a whole posix path. */
export function globToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        const atSegmentStart = i === 0 || pattern[i - 1] === '/';
        if (atSegmentStart && pattern[i + 2] === '/') {
          out += '(?:[^/]*/)*';
          i += 2;
        } else {
          out += '.*';
          i += 1;
        }
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) out += '\\[';
      else {
        const body = pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        out += `[${body}]`;
        i = end;
      }
    } else if (c === '{') {
      const end = pattern.indexOf('}', i);
      if (end < 0) out += '\\{';
      else {
        const options = pattern.slice(i + 1, end).split(',').map((o) => globToRegExp(o).source.slice(1, -1));
        out += `(?:${options.join('|')})`;
        i = end;
      }
    } else out += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Files under `cwd` whose path (relative, with "/") matches the glob; sorted. An absolute pattern matches absolute paths. */
export function globFiles(pattern: string, cwd = process.cwd()): string[] {
  const posix = pattern.split(path.sep).join('/').replace(/^\.\//, '');
  const segments = posix.split('/');
  const fixed: string[] = [];
  for (const s of segments.slice(0, -1)) {
    if (hasGlobChars(s)) break;
    fixed.push(s);
  }
  const absolute = path.isAbsolute(pattern);
  const base = path.resolve(cwd, fixed.join('/') || '.');
  const matcher = globToRegExp(posix);
  const found: string[] = [];
  const walk = (dir: string) => {
    const entries = readableEntries(dir);
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) walk(full);
        continue;
      }
      if (!entry.isFile()) continue;
      const shown = absolute ? full.split(path.sep).join('/') : path.relative(cwd, full).split(path.sep).join('/');
      if (matcher.test(shown)) found.push(absolute ? full : path.relative(cwd, full));
    }
  };
  walk(base);
  return found.sort();
}

/** A folder's entries, or none when it cannot be read (gone, a file, no permission): walks skip what they cannot list. */
export function readableEntries(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}
