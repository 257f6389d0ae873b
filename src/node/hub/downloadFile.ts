/**
 * Downloads one file of a hub repository into the cache's blobs/: streamed to `<blob>.incomplete`,
 * resumed with HTTP Range after a dropped connection or a restart, retried with backoff on network
 * errors and 5xx, and verified by size and hash (sha256 for LFS files, the git blob oid for the
 * others) before it is renamed to its final name. A wrong or partial file never gets that name.
 */
import * as fs from 'node:fs';
import { blobHash, type BlobHash, type HashSpec } from './blobHash';
import type { HubGet, HubResponse } from './hubFetch';
import { HubError } from './hubErrors';

export interface ExpectedFile {
  /** Repository path, for messages. */
  path: string;
  size: number;
  /** LFS files: the sha256 of the content. */
  sha256?: string;
  /** Other files: the git blob oid, sha1("blob <size>\0" + content). */
  gitOid?: string;
}

/** The part of node:fs/promises' FileHandle the writer uses; tests inject write errors through it. */
export interface BlobWriter {
  write(chunk: Uint8Array): Promise<unknown>;
  /** Several chunks in one call, without joining them first (FileHandle has it). */
  writev?(chunks: Uint8Array[]): Promise<unknown>;
  close(): Promise<void>;
}

export interface DownloadOptions {
  url: string;
  get: HubGet;
  expected: ExpectedFile;
  /** Final blob path; the partial download lives at `${blobPath}.incomplete`. */
  blobPath: string;
  signal?: AbortSignal;
  /** Called with each chunk's length as it reaches the disk (and with a negative count when a bad file is thrown away). */
  onBytes?: (delta: number) => void;
  /** Attempts per file for network errors and 5xx (default 5). */
  attempts?: number;
  /** First backoff delay; doubles per attempt (default 500 ms). */
  retryDelayMs?: number;
  /** Opens the .incomplete file; default node:fs/promises open. */
  openWriter?: (file: string, flags: 'a' | 'w') => Promise<BlobWriter>;
}

const MAX_REDIRECTS = 5;

function hashSpec(expected: ExpectedFile): HashSpec {
  return expected.sha256 ? { algorithm: 'sha256' } : { algorithm: 'sha1', prefix: `blob ${expected.size}\0` };
}

function expectedDigest(expected: ExpectedFile): string | undefined {
  return expected.sha256 ?? expected.gitOid;
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The download was cancelled.', 'AbortError');
}

export function isAbort(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || (e as { code?: string }).code === 'ABORT_ERR');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** GET with Range, following redirects by hand: the token goes only to the endpoint (hubFetch drops it elsewhere). */
async function get(options: DownloadOptions, offset: number): Promise<HubResponse> {
  let url = options.url;
  for (let i = 0; i <= MAX_REDIRECTS; i++) {
    const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
    let response: HubResponse;
    try {
      response = await options.get(url, { headers, signal: options.signal });
    } catch (e) {
      if (options.signal?.aborted) throw abortError(options.signal);
      throw new RetryableError(`${(e as Error).message}${causeOf(e)}`);
    }
    const location = response.header('location');
    if (response.status >= 300 && response.status < 400 && location) {
      drop(response);
      url = new URL(location, url).toString();
      continue;
    }
    return response;
  }
  throw new HubError('network', `Too many redirects fetching ${options.expected.path}.`);
}

class RetryableError extends Error {}

/** Drops a response's body: undici reports the destroy as an error on the body, which nobody reads any more. */
function drop(response: HubResponse): void {
  response.body.on('error', () => undefined);
  response.body.destroy();
}

async function defaultWriter(file: string, flags: 'a' | 'w'): Promise<BlobWriter> {
  return fs.promises.open(file, flags);
}

function writeError(e: unknown, file: string): HubError {
  const err = e as NodeJS.ErrnoException;
  const reason = err.code === 'ENOSPC' ? 'no space left on the disk' : err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied' : err.message;
  return new HubError(
    'write',
    `Could not write ${file}: ${reason}${err.code ? ` (${err.code})` : ''}. Free space or fix permissions on the disk that holds the Hugging Face cache, or move the cache with HF_HUB_CACHE (samplingLab.hub.cacheDir). The partial file is kept and the next pull resumes it.`,
  );
}

/**
 * One attempt: resume from what `.incomplete` holds, stream the rest, verify. Returns when the
 * blob is in place; throws RetryableError for what another attempt may fix.
 */
async function attempt(options: DownloadOptions): Promise<void> {
  const { expected, blobPath } = options;
  const partial = `${blobPath}.incomplete`;
  let offset = fs.statSync(partial, { throwIfNoEntry: false })?.size ?? 0;
  if (offset > expected.size) {
    fs.rmSync(partial, { force: true });
    options.onBytes?.(-offset);
    offset = 0;
  }
  let response: HubResponse | undefined;
  if (offset < expected.size || expected.size === 0) {
    response = await get(options, offset);
    if (response.status === 416 && offset > 0) {
      // The server says our partial file is already as long as the file: verify it as it is.
      drop(response);
      response = undefined;
    } else {
      if (response.status >= 500 || response.status === 429) {
        drop(response);
        throw new RetryableError(`HTTP ${response.status}`);
      }
      if (response.status !== 200 && response.status !== 206) {
        drop(response);
        throw HubError.fromStatus(response.status, response.header('x-error-code') ?? null, `${expected.path}`);
      }
      const range = /^bytes (\d+)-/.exec(response.header('content-range') ?? '');
      if (response.status === 200 || !range || Number(range[1]) !== offset) {
        // The server sent the whole file (or a range we did not ask for): start over.
        if (offset > 0) options.onBytes?.(-offset);
        offset = 0;
      }
    }
  }
  // The bytes already on disk are hashed while the rest arrives.
  const hash = blobHash(partial, hashSpec(expected), expected.size);
  try {
    if (offset > 0) hash.written(offset);
    if (response) await streamTo(options, response, partial, offset, hash);
    await finish(options, hash);
  } finally {
    hash.dispose();
  }
}

/**
 * The most bytes held in memory while a write is in flight. Each write is a round trip to libuv's
 * thread pool, and one per network chunk (16–64 KB), awaited before the next read, held the
 * download to 0.56× a raw read of the same file.
 */
const WRITE_BATCH_BYTES = 4 << 20;

/**
 * Streams the body to `partial` from `offset` (0: the file is started over). One write is in
 * flight at a time while the next chunks are read; they go out together when it completes (or
 * when they reach WRITE_BATCH_BYTES), so a fast server gets large writes and a slow one sees each
 * chunk on disk, and in the progress, as soon as it arrives. Each completed write is handed to the
 * hash. Whatever was read reaches the file before this returns or throws, so a dropped connection
 * resumes from every byte received.
 */
async function streamTo(options: DownloadOptions, response: HubResponse, partial: string, offset: number, hash: BlobHash): Promise<void> {
  let writer: BlobWriter;
  try {
    writer = await (options.openWriter ?? defaultWriter)(partial, offset > 0 ? 'a' : 'w');
  } catch (e) {
    drop(response);
    throw writeError(e, partial);
  }
  let onDisk = offset;
  let batch: Buffer[] = [];
  let batched = 0;
  let writing: Promise<void> = Promise.resolve();
  let inFlight = false;
  let failed: unknown;
  const startWrite = () => {
    if (batched === 0 || failed !== undefined) return;
    const chunks = batch;
    const count = batched;
    batch = [];
    batched = 0;
    inFlight = true;
    const written = chunks.length === 1 ? writer.write(chunks[0]!) : writer.writev ? writer.writev(chunks) : writer.write(Buffer.concat(chunks, count));
    writing = written.then(
      () => {
        inFlight = false;
        onDisk += count;
        hash.written(onDisk);
        options.onBytes?.(count);
        // What arrived during this write goes out now, not when the next chunk arrives.
        startWrite();
      },
      (e: unknown) => {
        inFlight = false;
        failed = e;
      },
    );
  };
  /** Waits until every byte read so far is written (or a write failed). */
  const drain = async () => {
    while (inFlight || (batched > 0 && failed === undefined)) {
      if (!inFlight) startWrite();
      await writing;
    }
  };
  try {
    // Leaving the loop early (a failed write) destroys the body, which closes the connection.
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      if (failed !== undefined) break;
      batch.push(chunk);
      batched += chunk.length;
      if (!inFlight) startWrite();
      else if (batched >= WRITE_BATCH_BYTES) await drain();
    }
  } catch (e) {
    if (options.signal?.aborted) throw abortError(options.signal);
    throw new RetryableError(`${(e as Error).message}${causeOf(e)}`);
  } finally {
    await drain();
    await writer.close().catch(() => undefined);
  }
  if (failed !== undefined) throw writeError(failed, partial);
}

/** Checks size and hash of the complete `.incomplete` file and renames it to the blob, or throws. */
async function finish(options: DownloadOptions, hash: BlobHash): Promise<void> {
  const { expected, blobPath } = options;
  const partial = `${blobPath}.incomplete`;
  const size = fs.statSync(partial, { throwIfNoEntry: false })?.size ?? 0;
  if (size < expected.size) throw new RetryableError(`the connection ended at ${size} of ${expected.size} bytes`);
  let digest: string | undefined;
  if (size === expected.size) {
    hash.written(size);
    try {
      digest = await hash.digest();
    } catch (e) {
      throw new RetryableError((e as Error).message);
    }
  }
  const want = expectedDigest(expected);
  if (size !== expected.size || (want !== undefined && digest !== want)) {
    fs.rmSync(partial, { force: true });
    options.onBytes?.(-size);
    throw new IntegrityError(
      size !== expected.size
        ? `${expected.path}: got ${size} bytes, the hub lists ${expected.size}`
        : `${expected.path}: ${expected.sha256 ? 'sha256' : 'git oid'} ${digest} does not match the hub's ${want}`,
    );
  }
  fs.renameSync(partial, blobPath);
}

class IntegrityError extends Error {}

/** Downloads and verifies one blob (see the file comment); a bad file is fetched again once before giving up. */
export async function downloadFile(options: DownloadOptions): Promise<void> {
  const attempts = options.attempts ?? 5;
  const delay = options.retryDelayMs ?? 500;
  let failures = 0;
  let corrupt = 0;
  for (;;) {
    if (options.signal?.aborted) throw abortError(options.signal);
    try {
      await attempt(options);
      return;
    } catch (e) {
      if (options.signal?.aborted) throw abortError(options.signal);
      if (e instanceof IntegrityError) {
        if (++corrupt >= 2) {
          throw new HubError('integrity', `${e.message}, twice. The server or a proxy is altering the file; it was not stored. Try again later or another endpoint (HF_ENDPOINT).`);
        }
        continue;
      }
      if (!(e instanceof RetryableError)) throw e;
      if (++failures >= attempts) {
        throw new HubError('network', `Downloading ${options.expected.path} failed ${failures} times (${(e as Error).message}${causeOf(e)}). The partial file is kept; pull again to resume.`);
      }
      await sleep(delay * 2 ** (failures - 1), options.signal);
    }
  }
}

function causeOf(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause ? `: ${cause.code ?? cause.message}` : '';
}
