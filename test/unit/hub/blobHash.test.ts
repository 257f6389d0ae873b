/**
 * The digest that verifies a downloaded blob, taken over the file as it grows: on this thread for a
 * small file, on a worker thread for a large one. Both must give the hub's digests: sha256 of the
 * content for LFS files, and the git blob oid for the others (git's own values: the empty blob
 * e69de29b… and "hello\n" ce013625…, as `git hash-object` prints them).
 */
import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { blobHash, THREAD_HASH_MIN_BYTES, type HashSpec } from '../../../src/node/hub/blobHash';

const gitBlob = (size: number): HashSpec => ({ algorithm: 'sha1', prefix: `blob ${size}\0` });

describe('blob hash over a growing file', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blob-hash-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const [where, sizeHint] of [
    ['this thread', 1],
    ['a worker thread', THREAD_HASH_MIN_BYTES],
  ] as const) {
    describe(`on ${where}`, () => {
      it('gives the sha256 of a file written in pieces, each hashed as it lands', async () => {
        const file = path.join(dir, 'blob');
        const data = randomBytes(3 * 1024 * 1024 + 17);
        const hash = blobHash(file, { algorithm: 'sha256' }, sizeHint);
        let at = 0;
        for (const piece of [1, 65_536, 1_000_000, data.length]) {
          const end = Math.min(piece + at, data.length);
          fs.appendFileSync(file, data.subarray(at, end));
          at = end;
          hash.written(at);
        }
        assert.equal(await hash.digest(), createHash('sha256').update(data).digest('hex'));
      });

      it("gives git's blob oids", async () => {
        const file = path.join(dir, 'text');
        fs.writeFileSync(file, 'hello\n');
        const hello = blobHash(file, gitBlob(6), sizeHint);
        hello.written(6);
        assert.equal(await hello.digest(), 'ce013625030ba8dba906f756967f9e9ca394464a');
        fs.writeFileSync(file, '');
        const empty = blobHash(file, gitBlob(0), sizeHint);
        assert.equal(await empty.digest(), 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
      });

      it('rejects, naming the file, when the bytes said to be written are not there', async () => {
        const file = path.join(dir, 'short');
        fs.writeFileSync(file, 'abc');
        const hash = blobHash(file, { algorithm: 'sha256' }, sizeHint);
        hash.written(10);
        await assert.rejects(hash.digest(), (e: Error) => e.message.includes(file) && e.message.includes('ended at 3 of 10'));
      });
    });
  }
});
