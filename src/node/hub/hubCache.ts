/**
 * The Hugging Face cache layout, shared with Python's huggingface_hub and with other Sampling Lab
 * processes: models--owner--name/{blobs/<sha256 or git oid>, refs/<revision>, snapshots/<commit>/<path>}
 * where snapshot entries are relative symlinks into blobs/. Writes never go through a symlink the
 * cache did not make itself, and every repository path is checked before it becomes a file path.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { availableDtypes, type Dtype } from '../../core/model/hubModel';

export function repoFolderName(repo: string): string {
  return `models--${repo.split('/').join('--')}`;
}

export function repoDir(cacheDir: string, repo: string): string {
  return path.join(cacheDir, repoFolderName(repo));
}

export function blobFile(cacheDir: string, repo: string, blobName: string): string {
  if (!/^[0-9a-f]{40,64}$/.test(blobName)) throw new Error(`The hub named a file by "${blobName}", which is not a git oid or sha256; refusing it as a cache file name.`);
  return path.join(repoDir(cacheDir, repo), 'blobs', blobName);
}

export function snapshotDir(cacheDir: string, repo: string, commit: string): string {
  return path.join(repoDir(cacheDir, repo), 'snapshots', commit);
}

/**
 * A repository path as a relative file path, or an error: a hostile repository must not name
 * "../x", an absolute path, a drive, backslashes or empty segments.
 */
export function safeRepoPath(repoPath: string): string {
  const parts = repoPath.split('/');
  if (repoPath === '' || repoPath.includes('\\') || repoPath.includes('\0') || /^[A-Za-z]:/.test(repoPath) || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new Error(`The repository lists a file "${repoPath}" that is not a plain relative path; refusing to write it.`);
  }
  return parts.join(path.sep);
}

const COMMIT = /^[0-9a-f]{40}$/;

/** The commit a revision points at in the cache: refs/<revision>, or the revision itself when it is a cached commit. */
export function cachedCommit(cacheDir: string, repo: string, revision: string): string | undefined {
  if (COMMIT.test(revision) && fs.existsSync(snapshotDir(cacheDir, repo, revision))) return revision;
  const ref = path.join(repoDir(cacheDir, repo), 'refs', ...revision.split('/'));
  try {
    const commit = fs.readFileSync(ref, 'utf8').trim();
    return COMMIT.test(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

/** Creates `dir` and its parents, refusing when any existing part below `root` is a symlink. */
export function mkdirInside(root: string, dir: string): void {
  const rel = path.relative(root, dir);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`${dir} is outside the cache ${root}.`);
  fs.mkdirSync(root, { recursive: true });
  let current = root;
  for (const part of rel.split(path.sep).filter(Boolean)) {
    current = path.join(current, part);
    const stat = fs.lstatSync(current, { throwIfNoEntry: false });
    if (!stat) fs.mkdirSync(current);
    else if (!stat.isDirectory()) throw new Error(`${current} in the hub cache is not a folder (a symlink or file); remove it and pull again.`);
  }
}

/** Writes refs/<revision> = commit atomically (write a temporary file, then rename). */
export function writeRef(cacheDir: string, repo: string, revision: string, commit: string): void {
  if (revision === commit) return;
  const file = path.join(repoDir(cacheDir, repo), 'refs', ...revision.split('/'));
  mkdirInside(cacheDir, path.dirname(file));
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, commit);
  fs.renameSync(tmp, file);
}

/**
 * Points snapshots/<commit>/<repoPath> at blobs/<blobName> with a relative symlink, as
 * huggingface_hub does; where symlinks are not allowed (Windows without developer mode), copies.
 */
export function linkSnapshotFile(cacheDir: string, repo: string, commit: string, repoPath: string, blobName: string): void {
  const rel = safeRepoPath(repoPath);
  const dir = snapshotDir(cacheDir, repo, commit);
  const link = path.join(dir, rel);
  mkdirInside(cacheDir, path.dirname(link));
  const blob = blobFile(cacheDir, repo, blobName);
  const target = path.relative(path.dirname(link), blob);
  const existing = fs.lstatSync(link, { throwIfNoEntry: false });
  if (existing?.isSymbolicLink() && fs.readlinkSync(link) === target) return;
  if (existing?.isDirectory()) throw new Error(`${link} in the hub cache is a folder where a file belongs; remove the snapshot folder and pull again.`);
  // Replace through a temporary name so a reader never sees the path missing.
  const tmp = `${link}.${process.pid}.tmp`;
  fs.rmSync(tmp, { force: true });
  try {
    fs.symlinkSync(target, tmp);
  } catch {
    fs.copyFileSync(blob, tmp);
  }
  fs.renameSync(tmp, link);
}

export interface CachedSnapshot {
  commit: string;
  /** Revisions (refs) that point at this commit. */
  refs: string[];
  /** Repository paths present in the snapshot whose blob exists. */
  files: string[];
  dtypes: Dtype[];
}

export interface CachedModel {
  repo: string;
  dir: string;
  snapshots: CachedSnapshot[];
  /** Bytes of blobs/ on disk (what removing the model frees). */
  sizeOnDisk: number;
}

/** Files of a snapshot whose link resolves (a dangling link is a file that is not there). */
export function snapshotFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (sub: string) => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else if (!entry.name.endsWith('.tmp') && fs.statSync(path.join(dir, rel), { throwIfNoEntry: false })?.isFile()) out.push(rel);
    }
  };
  if (fs.existsSync(dir)) walk('');
  return out.sort();
}

function listRefs(refsDir: string, prefix = ''): Array<[string, string]> {
  if (!fs.existsSync(refsDir)) return [];
  const out: Array<[string, string]> = [];
  for (const entry of fs.readdirSync(refsDir, { withFileTypes: true })) {
    const full = path.join(refsDir, entry.name);
    if (entry.isDirectory()) out.push(...listRefs(full, `${prefix}${entry.name}/`));
    else if (entry.isFile()) out.push([`${prefix}${entry.name}`, fs.readFileSync(full, 'utf8').trim()]);
  }
  return out;
}

/** Every model in the cache (repositories of type model), with their snapshots, dtypes and size. */
export function listCachedModels(cacheDir: string): CachedModel[] {
  if (!fs.existsSync(cacheDir)) return [];
  const models: CachedModel[] = [];
  for (const entry of fs.readdirSync(cacheDir, { withFileTypes: true })) {
    const match = /^models--([^-].*?)--(.+)$/.exec(entry.name);
    if (!entry.isDirectory() || !match) continue;
    const dir = path.join(cacheDir, entry.name);
    const refs = listRefs(path.join(dir, 'refs'));
    const snapshotsDir = path.join(dir, 'snapshots');
    const commits = fs.existsSync(snapshotsDir) ? fs.readdirSync(snapshotsDir) : [];
    const snapshots = commits.map((commit) => {
      const files = snapshotFiles(path.join(snapshotsDir, commit));
      return { commit, refs: refs.filter(([, c]) => c === commit).map(([r]) => r), files, dtypes: availableDtypes(files) };
    });
    const blobsDir = path.join(dir, 'blobs');
    let sizeOnDisk = 0;
    if (fs.existsSync(blobsDir)) for (const blob of fs.readdirSync(blobsDir)) sizeOnDisk += fs.statSync(path.join(blobsDir, blob)).size;
    models.push({ repo: `${match[1]}/${match[2]}`, dir, snapshots, sizeOnDisk });
  }
  return models.sort((a, b) => a.repo.localeCompare(b.repo));
}

/** Removes a model from the cache; false when it was not there. */
export function removeCachedModel(cacheDir: string, repo: string): boolean {
  const dir = repoDir(cacheDir, repo);
  const stat = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (!stat) return false;
  if (!stat.isDirectory()) throw new Error(`${dir} is not a folder; remove it by hand.`);
  fs.rmSync(dir, { recursive: true, force: true });
  return true;
}
