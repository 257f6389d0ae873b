/**
 * A Hugging Face hub imitation on 127.0.0.1 for tests, speaking the protocol real clients use
 * (/work/shared/docs/hub-api.md, read from huggingface.js, transformers.js and huggingface_hub):
 * model info with `sha`, the paginated tree API, paths-info, `resolve/{rev}/{path}` with a 302 to a CDN on
 * another origin for LFS files (X-Repo-Commit, X-Linked-Size, X-Linked-ETag, Accept-Ranges) and a
 * relative 307 to /api/resolve-cache/… for small git files, Range and ETag, X-Error-Code,
 * 401/403 for gated repositories and 404s. Faults are injected per file: a dropped connection, wrong
 * bytes, a stalled body, HTTP errors. Every request is recorded for assertions.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';

export interface HubRepoSpec {
  /** "owner/name". */
  id: string;
  files: Record<string, Buffer>;
  /** Gated: requests need `Authorization: Bearer <token>`. */
  token?: string;
  /** Extra branches besides main (all at the same commit). */
  branches?: string[];
}

interface StoredFile {
  path: string;
  data: Buffer;
  size: number;
  gitOid: string;
  sha256?: string;
}

interface StoredRepo {
  id: string;
  commit: string;
  files: Map<string, StoredFile>;
  token?: string;
  branches: Set<string>;
}

export type Fault =
  /** Send `afterBytes` of the body, then destroy the socket. */
  | { kind: 'drop'; path: string; afterBytes: number; times?: number }
  /** Flip one byte in the middle of the body. */
  | { kind: 'corrupt'; path: string; times?: number }
  /** Answer with this status (and X-Error-Code). */
  | { kind: 'status'; path: string; status: number; times?: number }
  /** Send `afterBytes`, then wait until `release` resolves (or the client goes away). */
  | { kind: 'stall'; path: string; afterBytes: number; release: Promise<void>; times?: number };

export interface RecordedRequest {
  method: string;
  url: string;
  /** Which of the two servers answered. */
  host: 'hub' | 'cdn';
  range?: string;
  authorized: boolean;
}

/** Files git stores in LFS on the hub: weights by extension, and anything over 10 MiB (Qwen3's tokenizer.json is). */
export function isLfs(path: string, size: number): boolean {
  return /\.(onnx|onnx_data|safetensors|bin|gguf|pt)$/.test(path) || /\.onnx_data_\d+$/.test(path) || size >= 10 * 1024 * 1024;
}

function gitOid(data: Buffer): string {
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
}

export class HubServer {
  readonly requests: RecordedRequest[] = [];
  /** Entries per tree page (the real hub uses 1000 with a Link header; tests page small). */
  treePageSize = 1000;
  private readonly repos = new Map<string, StoredRepo>();
  private readonly faults: Array<Fault & { left: number }> = [];
  private hub!: http.Server;
  private cdn!: http.Server;
  endpoint = '';
  cdnOrigin = '';

  async start(): Promise<this> {
    this.hub = http.createServer((req, res) => this.onHub(req, res));
    this.cdn = http.createServer((req, res) => this.onCdn(req, res));
    for (const server of [this.hub, this.cdn]) {
      server.keepAliveTimeout = 1000;
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    }
    this.endpoint = `http://127.0.0.1:${(this.hub.address() as AddressInfo).port}`;
    this.cdnOrigin = `http://127.0.0.1:${(this.cdn.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const server of [this.hub, this.cdn]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  addRepo(spec: HubRepoSpec): { commit: string; sha256: (path: string) => string | undefined } {
    const files = new Map<string, StoredFile>();
    for (const [path, data] of Object.entries(spec.files)) {
      const lfs = isLfs(path, data.length);
      files.set(path, { path, data, size: data.length, gitOid: gitOid(data), sha256: lfs ? createHash('sha256').update(data).digest('hex') : undefined });
    }
    const commit = createHash('sha1')
      .update([...files.values()].map((f) => `${f.path}:${f.gitOid}`).sort().join('\n'))
      .digest('hex');
    this.repos.set(spec.id, { id: spec.id, commit, files, token: spec.token, branches: new Set(['main', ...(spec.branches ?? [])]) });
    return { commit, sha256: (p) => files.get(p)?.sha256 };
  }

  /** The signed CDN URL the hub redirects an LFS file to (a raw read for benchmarks uses it too). */
  cdnUrl(sha256: string): string {
    return `${this.cdnOrigin}/repos/${sha256}?response-content-disposition=attachment&X-Amz-Signature=${createHash('sha1').update(sha256).digest('hex')}`;
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** Requests for one file's bytes (to the hub's resolve or the CDN), in order. */
  fileRequests(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.url.includes(`/resolve/`) ? r.url.split('?')[0]!.endsWith(`/${path}`) : r.url.includes(`path=${encodeURIComponent(path)}`) || r.url.split('?')[0]!.endsWith(`/${path}`));
  }

  private takeFault(path: string): (Fault & { left: number }) | undefined {
    const fault = this.faults.find((f) => f.left > 0 && f.path === path && f.kind !== 'status');
    if (fault) fault.left--;
    return fault;
  }

  private record(req: http.IncomingMessage, host: 'hub' | 'cdn'): void {
    this.requests.push({ method: req.method ?? 'GET', url: req.url ?? '', host, range: req.headers.range, authorized: req.headers.authorization !== undefined });
  }

  private error(res: http.ServerResponse, status: number, code: string, message: string): void {
    res.writeHead(status, { 'content-type': 'application/json', 'x-error-code': code, 'x-error-message': message });
    res.end(JSON.stringify({ error: message }));
  }

  /** The repository a request names, after the gate: undefined when an error was sent. */
  private repoFor(req: http.IncomingMessage, res: http.ServerResponse, id: string): StoredRepo | undefined {
    const repo = this.repos.get(id);
    if (!repo) {
      this.error(res, 401, 'RepoNotFound', `Repository not found`);
      return undefined;
    }
    if (repo.token) {
      const auth = req.headers.authorization;
      if (!auth) {
        this.error(res, 401, 'GatedRepo', `Access to model ${id} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
        return undefined;
      }
      if (auth !== `Bearer ${repo.token}`) {
        this.error(res, 403, 'GatedRepo', `Access to model ${id} is restricted and you are not in the authorized list.`);
        return undefined;
      }
    }
    return repo;
  }

  private commitFor(repo: StoredRepo, revision: string): string | undefined {
    return repo.branches.has(revision) || revision === 'HEAD' ? repo.commit : revision === repo.commit ? repo.commit : undefined;
  }

  private onHub(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.record(req, 'hub');
    const url = new URL(req.url ?? '/', this.endpoint);
    const p = url.pathname;
    let m: RegExpExecArray | null;
    // Model info: /api/models/{owner}/{name}[/revision/{rev}]
    if ((m = /^\/api\/models\/([^/]+\/[^/]+)(?:\/revision\/([^/]+))?$/.exec(p))) {
      const repo = this.repoFor(req, res, decodeURIComponent(m[1]!));
      if (!repo) return;
      const commit = this.commitFor(repo, decodeURIComponent(m[2] ?? 'main'));
      if (!commit) return this.error(res, 404, 'RevisionNotFound', `Invalid rev id: ${m[2]}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          _id: createHash('md5').update(repo.id).digest('hex').slice(0, 24),
          id: repo.id,
          sha: commit,
          private: false,
          gated: repo.token ? 'manual' : false,
          downloads: 0,
          likes: 0,
          library_name: 'transformers.js',
          pipeline_tag: 'text-generation',
          tags: ['transformers.js', 'onnx'],
          lastModified: '2025-01-01T00:00:00.000Z',
          createdAt: '2025-01-01T00:00:00.000Z',
          siblings: [...repo.files.keys()].map((rfilename) => ({ rfilename })),
        }),
      );
      return;
    }
    // Tree: /api/models/{owner}/{name}/tree/{rev}[/{path}]?recursive=…&cursor=…
    if ((m = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/.exec(p))) {
      const repo = this.repoFor(req, res, decodeURIComponent(m[1]!));
      if (!repo) return;
      const commit = this.commitFor(repo, decodeURIComponent(m[2]!));
      if (!commit) return this.error(res, 404, 'RevisionNotFound', `Invalid rev id: ${m[2]}`);
      const prefix = m[3] ? `${decodeURIComponent(m[3])}/` : '';
      const recursive = url.searchParams.get('recursive') === 'true';
      const entries: object[] = [];
      const dirs = new Set<string>();
      for (const f of [...repo.files.values()].sort((a, b) => a.path.localeCompare(b.path))) {
        if (!f.path.startsWith(prefix)) continue;
        const rest = f.path.slice(prefix.length);
        const slash = rest.indexOf('/');
        if (slash >= 0 && !dirs.has(prefix + rest.slice(0, slash))) {
          dirs.add(prefix + rest.slice(0, slash));
          entries.push({ type: 'directory', oid: gitOid(Buffer.from(prefix + rest.slice(0, slash))), size: 0, path: prefix + rest.slice(0, slash) });
        }
        if (slash >= 0 && !recursive) continue;
        entries.push({
          type: 'file',
          oid: f.gitOid,
          size: f.sha256 ? 134 : f.size,
          path: f.path,
          ...(f.sha256 ? { lfs: { oid: f.sha256, size: f.size, pointerSize: 134 } } : {}),
        });
      }
      const cursor = Number(url.searchParams.get('cursor') ?? 0);
      const page = entries.slice(cursor, cursor + this.treePageSize);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (cursor + this.treePageSize < entries.length) {
        const next = new URL(url);
        next.searchParams.set('cursor', String(cursor + this.treePageSize));
        headers.link = `<${next}>; rel="next"`;
      }
      res.writeHead(200, headers);
      res.end(JSON.stringify(page));
      return;
    }
    // Paths info: POST /api/models/{owner}/{name}/paths-info/{rev} with {paths, expand} (downloadFileToCacheDir names the blob and snapshot from it).
    if ((m = /^\/api\/models\/([^/]+\/[^/]+)\/paths-info\/([^/]+)$/.exec(p)) && req.method === 'POST') {
      const repo = this.repoFor(req, res, decodeURIComponent(m[1]!));
      if (!repo) return;
      const commit = this.commitFor(repo, decodeURIComponent(m[2]!));
      if (!commit) return this.error(res, 404, 'RevisionNotFound', `Invalid rev id: ${m[2]}`);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { paths?: string[]; expand?: boolean };
        const entries = (body.paths ?? []).flatMap((path) => {
          const f = repo.files.get(path);
          if (!f) return [];
          return [
            {
              type: 'file',
              oid: f.gitOid,
              size: f.sha256 ? 134 : f.size,
              path: f.path,
              ...(f.sha256 ? { lfs: { oid: f.sha256, size: f.size, pointerSize: 134 } } : {}),
              ...(body.expand ? { lastCommit: { id: commit, title: 'Upload', date: '2025-01-01T00:00:00.000Z' } } : {}),
            },
          ];
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(entries));
      });
      return;
    }
    // Small git files after the 307: /api/resolve-cache/models/{owner}/{name}/{commit}/{path}
    if ((m = /^\/api\/resolve-cache\/models\/([^/]+\/[^/]+)\/([0-9a-f]{40})\/(.+)$/.exec(p))) {
      const repo = this.repoFor(req, res, decodeURIComponent(m[1]!));
      if (!repo) return;
      const file = repo.files.get(decodeURIComponent(m[3]!));
      if (!file || m[2] !== repo.commit) return this.error(res, 404, 'EntryNotFound', 'Entry not found');
      this.sendBytes(req, res, file, { etag: `"${file.gitOid}"`, 'x-repo-commit': repo.commit });
      return;
    }
    // resolve: /{owner}/{name}/resolve/{rev}/{path}
    if ((m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(p))) {
      const repo = this.repoFor(req, res, decodeURIComponent(m[1]!));
      if (!repo) return;
      const commit = this.commitFor(repo, decodeURIComponent(m[2]!));
      if (!commit) return this.error(res, 404, 'RevisionNotFound', `Invalid rev id: ${m[2]}`);
      const filePath = m[3]!.split('/').map(decodeURIComponent).join('/');
      const file = repo.files.get(filePath);
      if (!file) return this.error(res, 404, 'EntryNotFound', `${filePath} does not exist on "${m[2]}"`);
      const fault = this.faults.find((f) => f.left > 0 && f.path === filePath && f.kind === 'status');
      if (fault) {
        fault.left--;
        return this.error(res, (fault as { status: number }).status, 'Injected', `injected HTTP ${(fault as { status: number }).status}`);
      }
      const common = { 'x-repo-commit': commit, 'accept-ranges': 'bytes', 'access-control-expose-headers': 'X-Repo-Commit,X-Linked-Size,X-Linked-ETag,ETag,Content-Range' };
      if (file.sha256) {
        const signed = this.cdnUrl(file.sha256);
        res.writeHead(302, { ...common, location: signed, 'x-linked-size': String(file.size), 'x-linked-etag': `"${file.sha256}"`, etag: `"${file.sha256}"` });
      } else {
        res.writeHead(307, { ...common, location: `/api/resolve-cache/models/${repo.id}/${commit}/${encodeURI(file.path)}?%2F${repo.id}%2Fresolve%2F${m[2]}%2F${encodeURIComponent(file.path)}=&etag=%22${file.gitOid}%22`, etag: `"${file.gitOid}"` });
      }
      res.end();
      return;
    }
    this.error(res, 404, 'RepoNotFound', `Not found: ${p}`);
  }

  private onCdn(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.record(req, 'cdn');
    const url = new URL(req.url ?? '/', this.cdnOrigin);
    const m = /^\/repos\/([0-9a-f]{64})$/.exec(url.pathname);
    const file = m ? [...this.repos.values()].flatMap((r) => [...r.files.values()]).find((f) => f.sha256 === m[1]) : undefined;
    // The signed URL needs no Authorization: the signature is the credential.
    if (!file || url.searchParams.get('X-Amz-Signature') !== createHash('sha1').update(file.sha256!).digest('hex')) {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('AccessDenied');
      return;
    }
    this.sendBytes(req, res, file, { etag: `"${file.sha256}"` });
  }

  /** 200 or 206 with Content-Range, applying the file's injected fault. */
  private sendBytes(req: http.IncomingMessage, res: http.ServerResponse, file: StoredFile, headers: Record<string, string>): void {
    let start = 0;
    let end = file.size - 1;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      if (range[2]) end = Math.min(end, Number(range[2]));
      if (start >= file.size) {
        res.writeHead(416, { 'content-range': `bytes */${file.size}` });
        res.end();
        return;
      }
    }
    const head = { ...headers, 'accept-ranges': 'bytes', 'content-length': String(end - start + 1), 'content-type': 'application/octet-stream' };
    if (range) res.writeHead(206, { ...head, 'content-range': `bytes ${start}-${end}/${file.size}` });
    else res.writeHead(200, head);
    if (req.method === 'HEAD') return void res.end();
    let body = file.data.subarray(start, end + 1);
    const fault = this.takeFault(file.path);
    if (fault?.kind === 'corrupt') {
      body = Buffer.from(body);
      body[body.length >> 1] ^= 0xff;
    }
    if (fault?.kind === 'drop' || fault?.kind === 'stall') {
      const n = Math.max(0, Math.min(body.length, fault.afterBytes - start));
      if (fault.kind === 'drop') {
        // The first part reaches the client (the callback runs once it is flushed), then the connection goes.
        res.write(body.subarray(0, n), () => res.socket?.destroy());
        return;
      }
      res.write(body.subarray(0, n));
      const rest = body.subarray(n);
      fault.release.then(() => {
        if (!res.destroyed) res.end(rest);
      });
      return;
    }
    res.end(body);
  }
}

export async function startHubServer(): Promise<HubServer> {
  return new HubServer().start();
}

/** A model folder's files, path → bytes, to serve as a repository (e.g. the bundled facts-lm). */
export function folderFiles(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (sub: string) => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else out[rel] = fs.readFileSync(path.join(dir, rel));
    }
  };
  walk('');
  return out;
}
