/**
 * Files a repository names or holds, read and written as if the repository were hostile: reads
 * stay inside the workspace after symlinks are resolved, take regular files only, and stop at a
 * size cap; writes under a folder such as `.sampling-lab/` never go through a symlink (each
 * folder is lstat-checked, each file opened with O_NOFOLLOW). Errors name the path and the rule
 * broken, never the file's content.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A file refused by one of the rules here; `rule` is a short name tests and callers can match. */
export class UnsafeFileError extends Error {
  override readonly name = 'UnsafeFileError';
  constructor(
    message: string,
    /** The path as the caller named it. */
    readonly file: string,
    readonly rule: 'outside-workspace' | 'not-regular' | 'too-large' | 'symlink' | 'missing',
  ) {
    super(message);
  }
}

/** Default caps for files a suite names; samplingLab.limits.* and the CLI's flags override them. */
export const FILE_LIMITS = {
  promptFileBytes: 1024 * 1024,
  schemaFileBytes: 256 * 1024,
} as const;

export interface WorkspaceReadOptions {
  maxBytes: number;
  /** What the file is, for messages: "prompt_file", "schema_file". */
  kind: string;
  /** Where the limit is set, for messages, e.g. "samplingLab.limits.promptFileBytes". */
  limitSetting?: string;
  /** How to name the file in messages (default: `file` as given), e.g. the path as a suite wrote it. */
  shownAs?: string;
  /** How to name `root` in messages (default "the workspace"), e.g. "the model folder". */
  rootName?: string;
}

/** "1 MB", "256 KB", "300 bytes". */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KB`;
  return `${n} bytes`;
}

/** Whether `full` is `root` or below it (both already resolved). */
export function isInside(root: string, full: string): boolean {
  const rel = path.relative(root, full);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Reads `file` (absolute, or relative to `root`) as UTF-8 text, without a leading BOM. Refused:
 * a path that leaves `root` once symlinks are resolved, anything but a regular file (a FIFO,
 * /dev/zero, a folder), and a file over `maxBytes`. Opening never blocks (O_NONBLOCK), and at
 * most `maxBytes` + 1 bytes are read even if the file grows meanwhile.
 */
export async function readWorkspaceFile(root: string, file: string, options: WorkspaceReadOptions): Promise<string> {
  return stripBom((await readWorkspaceBytes(root, file, options)).toString('utf8'));
}

/** readWorkspaceFile's bytes, as they are (model weights, images). */
export async function readWorkspaceBytes(root: string, file: string, options: WorkspaceReadOptions): Promise<Buffer> {
  const { kind, maxBytes } = options;
  const shown = JSON.stringify(options.shownAs ?? file);
  const full = path.resolve(root, file);
  let realRoot: string;
  let real: string;
  try {
    realRoot = await fs.promises.realpath(root);
    real = await fs.promises.realpath(full);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A missing file is not a broken rule: the caller's usual "no such file" message fits.
    if (code === 'ENOENT') throw Object.assign(new Error(`${kind} ${shown}: no such file.`), { code });
    throw new UnsafeFileError(`${kind} ${shown} cannot be resolved (${code ?? (e as Error).message}).`, file, 'missing');
  }
  if (!isInside(realRoot, real)) {
    throw new UnsafeFileError(`${kind} ${shown} is outside ${options.rootName ?? 'the workspace'} (${root}); only files inside it are read, after following symlinks.`, file, 'outside-workspace');
  }
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(real, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UnsafeFileError(`${kind} ${shown} cannot be opened (${code ?? (e as Error).message}).`, file, code === 'ENOENT' ? 'missing' : 'not-regular');
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      throw new UnsafeFileError(`${kind} ${shown} is not a regular file (${stat.isDirectory() ? 'a folder' : 'a device, pipe or socket'}); only regular files are read.`, file, 'not-regular');
    }
    const tooLarge = (size: string) =>
      new UnsafeFileError(
        `${kind} ${shown} is ${size}; the limit is ${formatBytes(maxBytes)}${options.limitSetting ? ` (${options.limitSetting})` : ''}.`,
        file,
        'too-large',
      );
    if (stat.size > maxBytes) throw tooLarge(formatBytes(stat.size));
    // One byte more than the file's size shows whether it grew past the limit while being read.
    const buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) throw tooLarge(`over ${formatBytes(maxBytes)}`);
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/** Text without a leading byte order mark (editors on Windows write one; JSON.parse and YAML do not want it). */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Makes the folder `dir` (inside `base`) and every folder between them, refusing any that is a
 * symlink or not a folder. `base` itself is trusted (the workspace root the user opened).
 */
export function ensureRealDir(base: string, dir: string): void {
  const rel = path.relative(base, dir);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new UnsafeFileError(`${dir} is not inside ${base}.`, dir, 'outside-workspace');
  let current = base;
  for (const part of rel.split(path.sep).filter((p) => p !== '')) {
    current = path.join(current, part);
    let stat: fs.Stats | undefined;
    try {
      stat = fs.lstatSync(current);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (!stat) {
      try {
        fs.mkdirSync(current);
        continue;
      } catch (e) {
        // Another process made it first: check what it made.
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        stat = fs.lstatSync(current);
      }
    }
    if (stat.isSymbolicLink()) throw refusedLink(current);
    if (!stat.isDirectory()) throw new UnsafeFileError(`Refusing to write under ${current}: it is not a folder.`, current, 'not-regular');
  }
}

function refusedLink(file: string): UnsafeFileError {
  return new UnsafeFileError(`Refusing to write through ${file}: it is a symlink. Delete it, and Sampling Lab makes a real one.`, file, 'symlink');
}

/** Opens for writing without following a final symlink; ELOOP (the O_NOFOLLOW answer) becomes a clear error. */
function openNoFollow(file: string, flags: number): number {
  try {
    return fs.openSync(file, flags | fs.constants.O_NOFOLLOW, 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw refusedLink(file);
    throw e;
  }
}

/** Writes all of `bytes` at the file's end; a short write (full disk, signal) is finished, not left torn. */
function writeAll(fd: number, bytes: Buffer): void {
  let written = fs.writeSync(fd, bytes, 0, bytes.length);
  while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written);
}

/**
 * Appends one whole line to `file` in a single write(2) with O_APPEND, so concurrent appenders
 * never interleave inside a line (and no one reads the file first, so no one guesses wrong about
 * a neighbour's half-written line). Folders from `base` down and the file itself must not be
 * symlinks. The line must end with "\n".
 */
export function appendLineNoFollow(file: string, line: string, base = path.dirname(file)): void {
  if (!line.endsWith('\n') || line.indexOf('\n') !== line.length - 1) throw new Error('appendLineNoFollow takes exactly one line ending in "\\n".');
  ensureRealDir(base, path.dirname(file));
  const fd = openNoFollow(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT);
  try {
    if (!fs.fstatSync(fd).isFile()) throw new UnsafeFileError(`Refusing to append to ${file}: it is not a regular file.`, file, 'not-regular');
    writeAll(fd, Buffer.from(line, 'utf8'));
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Replaces `file` atomically: a new temporary file beside it (O_EXCL, so never an existing file
 * or link), then a rename, which replaces a symlink at `file` itself rather than its target.
 * Folders from `base` down must be real folders.
 */
export function writeFileNoFollow(file: string, data: string | Uint8Array, base = path.dirname(file)): void {
  ensureRealDir(base, path.dirname(file));
  const temp = `${file}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
  const fd = openNoFollow(temp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL);
  try {
    writeAll(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data));
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(temp, file);
  } catch (e) {
    fs.rmSync(temp, { force: true });
    throw e;
  }
}

/** A file of ours is a regular file no bigger than `maxBytes`. */
function checkOwnFile(file: string, stat: fs.Stats, maxBytes: number): void {
  if (!stat.isFile()) throw new UnsafeFileError(`Refusing to read ${file}: it is not a regular file.`, file, 'not-regular');
  if (stat.size > maxBytes) throw new UnsafeFileError(`${file} is ${formatBytes(stat.size)}; the limit is ${formatBytes(maxBytes)}.`, file, 'too-large');
}

/** The error for opening a file of ours that failed, or undefined when it does not exist. */
function ownOpenError(file: string, e: unknown): Error | undefined {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return undefined;
  if (code === 'ELOOP') return new UnsafeFileError(`Refusing to read ${file}: it is a symlink.`, file, 'symlink');
  return e as Error;
}

/**
 * Reads a file Sampling Lab wrote itself (a cache entry, the preferences file) without following a
 * symlink at its own name, up to `maxBytes`; undefined when it does not exist. A link planted
 * there by a repository is refused, so nothing outside is read on its say-so.
 */
export function readOwnFile(file: string, maxBytes: number): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    const error = ownOpenError(file, e);
    if (error) throw error;
    return undefined;
  }
  try {
    const stat = fs.fstatSync(fd);
    checkOwnFile(file, stat, maxBytes);
    const buffer = Buffer.alloc(stat.size);
    let length = 0;
    while (length < buffer.length) {
      const n = fs.readSync(fd, buffer, length, buffer.length - length, length);
      if (n === 0) break;
      length += n;
    }
    return stripBom(buffer.subarray(0, length).toString('utf8'));
  } finally {
    fs.closeSync(fd);
  }
}

/** readOwnFile without blocking: for the extension host, which must never wait on a synchronous read. */
export async function readOwnFileAsync(file: string, maxBytes: number): Promise<string | undefined> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    const error = ownOpenError(file, e);
    if (error) throw error;
    return undefined;
  }
  try {
    const stat = await handle.stat();
    checkOwnFile(file, stat, maxBytes);
    const buffer = Buffer.alloc(stat.size);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return stripBom(buffer.subarray(0, length).toString('utf8'));
  } finally {
    await handle.close();
  }
}
