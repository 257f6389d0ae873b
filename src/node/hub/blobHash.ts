/**
 * The digest that verifies a downloaded blob: sha256 for LFS files, the git blob oid (sha1 of
 * "blob <size>\0" + content) for the others. It is taken over the bytes on disk, not the bytes read
 * off the socket: a resumed download is verified as a whole, and what is checked is what the
 * runtime will load.
 *
 * A large file is hashed on a worker thread that follows the file as it is written. On the reading
 * thread, sha256 next to the socket reads held the download to about half of a raw read of the same
 * file (BENCHMARKS.md, hub section); on its own thread it overlaps the network and the writes.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';

export interface HashSpec {
  algorithm: 'sha256' | 'sha1';
  /** Hashed before the content (the git blob header). */
  prefix?: string;
}

export interface BlobHash {
  /** Bytes [0, upto) of the file are on disk: hash them (in order, once each). */
  written(upto: number): void;
  /** The hex digest of everything written; rejects if the file could not be read. */
  digest(): Promise<string>;
  /** Frees the hasher (and its thread) without a digest. */
  dispose(): void;
}

/** From this size a file gets its own hashing thread (starting one costs a few ms and ~10 MB). */
export const THREAD_HASH_MIN_BYTES = 8 << 20;

/** Hashes `file` as it grows, on a thread of its own for a file of `size` ≥ THREAD_HASH_MIN_BYTES. */
export function blobHash(file: string, spec: HashSpec, size: number): BlobHash {
  return size >= THREAD_HASH_MIN_BYTES ? new ThreadHash(file, spec) : new FollowingHash(file, spec);
}

const READ_BYTES = 4 << 20;

/** The worker's whole program: the same file-following hash as FollowingHash, as plain JS (an eval'd worker needs no bundled file). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { createHash } = require('node:crypto');
const hash = createHash(workerData.algorithm);
if (workerData.prefix) hash.update(workerData.prefix);
const buffer = Buffer.allocUnsafe(${READ_BYTES});
let fd;
let at = 0;
parentPort.on('message', (m) => {
  try {
    if (fd === undefined) fd = fs.openSync(workerData.file, 'r');
    while (at < m.upto) {
      const n = fs.readSync(fd, buffer, 0, Math.min(buffer.length, m.upto - at), at);
      if (n <= 0) throw new Error('the file ended at ' + at + ' of ' + m.upto + ' bytes written');
      hash.update(buffer.subarray(0, n));
      at += n;
    }
    if (m.done) {
      fs.closeSync(fd);
      parentPort.postMessage({ digest: hash.digest('hex') });
    }
  } catch (e) {
    parentPort.postMessage({ error: e.message });
  }
});
`;

/** On this thread: reads and hashes the new bytes when asked for the digest (small files only). */
class FollowingHash implements BlobHash {
  private upto = 0;
  constructor(
    private readonly file: string,
    private readonly spec: HashSpec,
  ) {}

  written(upto: number): void {
    this.upto = upto;
  }

  async digest(): Promise<string> {
    const hash = createHash(this.spec.algorithm);
    if (this.spec.prefix) hash.update(this.spec.prefix);
    let at = 0;
    if (this.upto > 0) {
      for await (const chunk of fs.createReadStream(this.file, { start: 0, end: this.upto - 1 })) {
        hash.update(chunk as Buffer);
        at += (chunk as Buffer).length;
      }
    }
    if (at < this.upto) throw new Error(`hashing ${this.file}: the file ended at ${at} of ${this.upto} bytes written`);
    return hash.digest('hex');
  }

  dispose(): void {}
}

class ThreadHash implements BlobHash {
  private readonly worker: Worker;
  private readonly result: Promise<string>;
  private upto = 0;

  constructor(file: string, spec: HashSpec) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, algorithm: spec.algorithm, prefix: spec.prefix } });
    // A download waiting on the network must not keep the process alive for the hasher's sake.
    this.worker.unref();
    this.result = new Promise<string>((resolve, reject) => {
      this.worker.once('message', (m: { digest?: string; error?: string }) => (m.digest !== undefined ? resolve(m.digest) : reject(new Error(`hashing ${file}: ${m.error}`))));
      this.worker.once('error', reject);
    });
    // Nobody may be waiting yet (a download cancelled before its digest): the rejection is handled there, or nowhere.
    this.result.catch(() => undefined);
  }

  written(upto: number): void {
    this.upto = upto;
    this.worker.postMessage({ upto });
  }

  async digest(): Promise<string> {
    this.worker.postMessage({ upto: this.upto, done: true });
    try {
      return await this.result;
    } finally {
      this.dispose();
    }
  }

  dispose(): void {
    void this.worker.terminate();
  }
}
