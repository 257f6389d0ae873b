/**
 * The hub test server in a process of its own, for the download bench. In the bench's own process
 * the server's writes shared one thread with the client's reads, hashing and writes (and with the
 * raw read it is measured against), which no real hub does: the ratio swung from 0.41× to 0.82×
 * on an idle machine. The files travel as a folder, so neither process holds a copy the other made.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { startHubServer } from '../test/support/hubServer';

interface Serve {
  id: string;
  dir: string;
  files: string[];
}

interface Served {
  endpoint: string;
  /** The CDN URL of each LFS file (a raw read of the same bytes the client downloads). */
  cdn: Record<string, string>;
}

export interface HubServerProcess extends Served {
  close(): Promise<void>;
}

/** Starts the child, serving `files` (written under `dir` first) as repository `id`. */
export async function startHubServerProcess(id: string, files: Record<string, Buffer>, dir: string): Promise<HubServerProcess> {
  for (const [rel, data] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), data);
  }
  const child: ChildProcess = fork(__filename, [], { execArgv: ['-r', path.join(__dirname, '..', 'test', 'support', 'register.cjs')], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = once(child, 'exit');
  child.send({ id, dir, files: Object.keys(files) } satisfies Serve);
  const [served] = (await Promise.race([once(child, 'message'), exited.then(([code]) => Promise.reject(new Error(`the hub server process exited (${code}) before it served`)))])) as [Served];
  return {
    ...served,
    close: async () => {
      child.disconnect();
      await exited;
    },
  };
}

// The child: serve what the parent sends, until it disconnects.
if (require.main === module) {
  process.once('message', (message: Serve) => {
    void (async () => {
      const files = Object.fromEntries(message.files.map((rel) => [rel, fs.readFileSync(path.join(message.dir, rel))]));
      const server = await startHubServer();
      const { sha256 } = server.addRepo({ id: message.id, files });
      const cdn: Record<string, string> = {};
      for (const rel of message.files) {
        const digest = sha256(rel);
        if (digest) cdn[rel] = server.cdnUrl(digest);
      }
      process.send!({ endpoint: server.endpoint, cdn } satisfies Served);
      process.once('disconnect', () => void server.close().then(() => process.exit(0)));
    })();
  });
}
