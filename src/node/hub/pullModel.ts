/**
 * Pulls a hub model into the Hugging Face cache and returns its snapshot folder: resolves the
 * revision to a commit and lists the files (@huggingface/hub's modelInfo and listFiles), fetches
 * only the files the chosen dtype needs (downloadFile: resume, retry, verify), shares one download
 * among concurrent pulls of a blob, and falls back to the cache when offline or the hub is down.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listFiles, modelInfo } from '@huggingface/hub';
import { externalDataPath, type ExternalDataRef } from '../../core/model/externalData';
import { availableDtypes, chooseDtype, filesForDtype, formatHubId, onnxFileFor, type Dtype, type DtypeChoice, type HubId } from '../../core/model/hubModel';
import { readExternalDataRefs } from '../onnxExternalData';
import { blobFile, cachedCommit, linkSnapshotFile, mkdirInside, snapshotDir, snapshotFiles, writeRef } from './hubCache';
import type { HubConfig } from './hubConfig';
import { HubError } from './hubErrors';
import { hubFetch, hubGet, type FetchLike, type HubGet } from './hubFetch';
import { downloadFile, isAbort, type DownloadOptions, type ExpectedFile } from './downloadFile';

export interface PullProgress {
  /** The file being fetched (repository path). */
  file: string;
  /** Bytes of all files to fetch so far, and their total. */
  bytes: number;
  total: number;
  /** Bytes per second over the last few seconds. */
  bytesPerSecond: number;
  /** Files done and to do. */
  filesDone: number;
  files: number;
}

export interface PullOptions {
  dtype?: DtypeChoice;
  /** The device the model will run on, for dtype "auto". */
  device?: string;
  shaderF16?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: PullProgress) => void;
  /** Test and bench seams. */
  download?: Pick<DownloadOptions, 'attempts' | 'retryDelayMs' | 'openWriter'>;
}

export interface PulledModel {
  repo: string;
  revision: string;
  commit: string;
  /** The snapshot folder: a model folder transformers.js loads. */
  dir: string;
  dtype: Dtype;
  /** The dtypes the repository (or, offline, the snapshot) has. */
  dtypes: Dtype[];
  /** The files this dtype needs, all present in `dir`. */
  files: string[];
  /** Bytes downloaded now (0 when everything came from the cache). */
  downloaded: number;
  /** True when the hub was not asked (offline) or could not be reached. */
  offline: boolean;
}

interface RepoFile extends ExpectedFile {
  blobName: string;
}

/** Shared downloads by blob path: each joiner may cancel alone; the download stops when all have. */
interface Flight {
  done: Promise<void>;
  controller: AbortController;
  joiners: number;
  listeners: Set<(delta: number) => void>;
}
const flights = new Map<string, Flight>();

function joinFlight(blobPath: string, start: (signal: AbortSignal, onBytes: (delta: number) => void) => Promise<void>, signal: AbortSignal | undefined, onBytes: (delta: number) => void): Promise<void> {
  let flight = flights.get(blobPath);
  if (!flight || flight.controller.signal.aborted) {
    // A cancelled download may still be unwinding (a last write to .incomplete): start after it settles.
    const previous = flight ? flight.done.catch(() => undefined) : Promise.resolve();
    const controller = new AbortController();
    const listeners = new Set<(delta: number) => void>();
    const created: Flight = { controller, listeners, joiners: 0, done: Promise.resolve() };
    created.done = previous
      .then(() => start(controller.signal, (delta) => listeners.forEach((l) => l(delta))))
      .finally(() => {
        if (flights.get(blobPath) === created) flights.delete(blobPath);
      });
    flights.set(blobPath, created);
    flight = created;
  }
  const shared = flight;
  shared.joiners++;
  shared.listeners.add(onBytes);
  return new Promise<void>((resolve, reject) => {
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      shared.listeners.delete(onBytes);
      signal?.removeEventListener('abort', onAbort);
      if (--shared.joiners === 0 && signal?.aborted) shared.controller.abort(signal.reason);
    };
    const onAbort = () => {
      leave();
      reject(signal!.reason instanceof Error ? signal!.reason : new DOMException('The download was cancelled.', 'AbortError'));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    shared.done.then(
      () => {
        leave();
        resolve();
      },
      (e) => {
        leave();
        reject(e);
      },
    );
  });
}

/** Speed over a sliding window of a few seconds. */
function speedMeter(): (bytes: number) => number {
  const samples: Array<[number, number]> = [];
  return (bytes) => {
    const now = performance.now();
    samples.push([now, bytes]);
    while (samples.length > 2 && now - samples[0]![0] > 3000) samples.shift();
    const [t0, b0] = samples[0]!;
    return now > t0 ? ((bytes - b0) * 1000) / (now - t0) : 0;
  };
}

function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

/** Network failures (not HTTP answers) mean "the hub is unreachable": the cache may still serve. */
function isUnreachable(e: unknown): boolean {
  if (e instanceof HubError) return e.kind === 'network';
  const err = e as { name?: string; statusCode?: number; cause?: { code?: string } };
  return err instanceof TypeError || (err.cause?.code !== undefined && err.statusCode === undefined);
}

/** Maps @huggingface/hub's HubApiError (statusCode) to a HubError with a fix; `errorCode` is the answer's X-Error-Code, which that error drops. */
function apiError(e: unknown, id: HubId, config: HubConfig, errorCode: string | null): unknown {
  const status = (e as { statusCode?: number }).statusCode;
  if (typeof status !== 'number') return e;
  return HubError.fromStatus(status, errorCode, formatHubId(id), id.repo, config.endpoint);
}

/** The model as the cache holds it, without the network; undefined when it holds no snapshot for the revision. */
export function cachedModel(id: HubId, config: HubConfig, options: Pick<PullOptions, 'dtype' | 'device' | 'shaderF16'> = {}): PulledModel | undefined {
  const commit = cachedCommit(config.cacheDir, id.repo, id.revision);
  if (!commit) return undefined;
  const dir = snapshotDir(config.cacheDir, id.repo, commit);
  const present = snapshotFiles(dir);
  const dtypes = availableDtypes(present);
  if (dtypes.length === 0) return undefined;
  const dtype = chooseDtype({ requested: options.dtype ?? 'auto', available: dtypes, device: options.device ?? 'cpu', shaderF16: options.shaderF16 });
  if (!dtypes.includes(dtype)) return undefined;
  const files = filesForDtype(id.repo, present, dtype);
  // The data files the graph names; a missing one is named when the folder is checked before loading.
  for (const name of graphDataNames(dir, dtype)) if (!files.includes(name) && present.includes(name)) files.push(name);
  return { repo: id.repo, revision: id.revision, commit, dir, dtype, dtypes, files, downloaded: 0, offline: true };
}

function graphDataNames(dir: string, dtype: Dtype): string[] {
  const graph = onnxFileFor(dtype);
  try {
    return readExternalDataRefs(path.join(dir, ...graph.split('/'))).map((r) => externalDataPath(graph, r.location));
  } catch {
    return [];
  }
}

function offlineError(id: HubId, config: HubConfig, why: string, dtype: DtypeChoice | undefined): HubError {
  const cached = cachedCommit(config.cacheDir, id.repo, id.revision);
  const have = cached ? availableDtypes(snapshotFiles(snapshotDir(config.cacheDir, id.repo, cached))) : [];
  const detail = have.length > 0 && dtype && dtype !== 'auto' ? ` The cache has it in ${have.join(', ')}, not ${dtype}.` : '';
  return new HubError('offline', `${formatHubId(id)} is not in the cache (${config.cacheDir}) and ${why}.${detail} Pull it while online: sampling-lab models pull ${formatHubId(id)}.`, id.repo);
}

/** The repository's files at a commit, with what verifies each. */
async function listRepoFiles(id: HubId, commit: string, config: HubConfig, fetch: FetchLike): Promise<RepoFile[]> {
  const files: RepoFile[] = [];
  const params = { repo: { type: 'model' as const, name: id.repo }, revision: commit, recursive: true, hubUrl: config.endpoint, fetch: fetch as typeof globalThis.fetch };
  for await (const entry of listFiles(params)) {
    if (entry.type !== 'file') continue;
    const sha256 = entry.lfs?.oid;
    const blobName = sha256 ?? entry.oid;
    if (!blobName) throw new HubError('http', `The hub listed ${entry.path} in ${id.repo} without an oid; cannot verify it.`, id.repo);
    files.push({ path: entry.path, size: entry.lfs?.size ?? entry.size, sha256, gitOid: sha256 ? undefined : entry.oid, blobName });
  }
  return files;
}

interface Progress {
  bytes: number;
  total: number;
  filesDone: number;
  files: number;
  speed: (bytes: number) => number;
}

/** Downloads `files` one after another into blobs/, sharing each download with concurrent pulls; `progress` runs on across calls. */
async function fetchFiles(files: RepoFile[], id: HubId, commit: string, config: HubConfig, get: HubGet, options: PullOptions, progress: Progress): Promise<void> {
  progress.total += files.reduce((sum, f) => sum + f.size, 0);
  progress.files += files.length;
  for (const file of files) {
    const blobPath = blobFile(config.cacheDir, id.repo, file.blobName);
    const emit = () => options.onProgress?.({ file: file.path, bytes: progress.bytes, total: progress.total, bytesPerSecond: progress.speed(progress.bytes), filesDone: progress.filesDone, files: progress.files });
    const report = (delta: number) => {
      progress.bytes += delta;
      emit();
    };
    // A resumed file's bytes already on disk count as done.
    const partial = fs.statSync(`${blobPath}.incomplete`, { throwIfNoEntry: false })?.size ?? 0;
    if (partial > 0 && partial <= file.size) report(partial);
    const before = progress.bytes;
    await joinFlight(
      blobPath,
      async (signal, onBytes) => {
        if (fs.statSync(blobPath, { throwIfNoEntry: false })?.size === file.size) return;
        await downloadFile({ ...options.download, url: `${config.endpoint}/${id.repo}/resolve/${commit}/${encodePath(file.path)}`, get, expected: file, blobPath, signal, onBytes });
      },
      options.signal,
      report,
    );
    // A joiner of someone else's download saw only part of its bytes: count the file as whole.
    progress.bytes = before + file.size - (partial > 0 && partial <= file.size ? partial : 0);
    progress.filesDone++;
    emit();
  }
}

/**
 * The repository files holding the external data the graph (verified, in blobs/) names, or a
 * HubError naming a file the repository lacks or lists shorter than the graph reads.
 */
function graphDataFiles(graph: RepoFile, graphBlob: string, repoFiles: RepoFile[], id: HubId): RepoFile[] {
  let refs: ExternalDataRef[];
  try {
    refs = readExternalDataRefs(graphBlob);
  } catch (e) {
    throw new HubError('http', `${graph.path} in ${formatHubId(id)} is not a readable ONNX graph: ${(e as Error).message}`, id.repo);
  }
  return refs.map((ref) => {
    const repoPath = externalDataPath(graph.path, ref.location);
    const file = repoFiles.find((f) => f.path === repoPath);
    if (!file) throw new HubError('integrity', `${graph.path} in ${formatHubId(id)} keeps its weights in ${repoPath}, which the repository does not have. The export is incomplete: pick another revision or dtype.`, id.repo);
    if (file.size < ref.minBytes) throw new HubError('integrity', `${repoPath} in ${formatHubId(id)} is ${file.size} bytes, but ${graph.path} reads ${ref.minBytes} bytes of it. The export is broken: pick another revision or dtype.`, id.repo);
    return file;
  });
}

/** Pulls (or finds in the cache) the files of `id` that a dtype needs; see the file comment. */
export async function pullModel(id: HubId, config: HubConfig, options: PullOptions = {}): Promise<PulledModel> {
  if (config.offline) {
    return cachedModel(id, config, options) ?? Promise.reject(offlineError(id, config, 'HF_HUB_OFFLINE is set', options.dtype));
  }
  const fetch = hubFetch(config);
  let errorCode: string | null = null;
  const apiFetch: FetchLike = async (url, init) => {
    const response = await fetch(url, init);
    if (!response.ok) errorCode = response.headers.get('x-error-code');
    return response;
  };
  let commit: string;
  let repoFiles: RepoFile[];
  try {
    const info = await modelInfo({ name: id.repo, revision: id.revision, hubUrl: config.endpoint, additionalFields: ['sha'], fetch: apiFetch as typeof globalThis.fetch });
    const sha = (info as { sha?: string }).sha;
    if (!sha || !/^[0-9a-f]{40}$/.test(sha)) throw new HubError('http', `The hub gave no commit for ${formatHubId(id)}.`, id.repo);
    commit = sha;
    repoFiles = await listRepoFiles(id, commit, config, apiFetch);
  } catch (e) {
    if (isAbort(e)) throw e;
    if (isUnreachable(e)) {
      // Like huggingface_hub: a model already cached loads when the hub cannot be reached.
      const cached = cachedModel(id, config, options);
      if (cached) return cached;
      throw offlineError(id, config, `the hub (${config.endpoint}) cannot be reached (${(e as Error).message})`, options.dtype);
    }
    throw apiError(e, id, config, errorCode);
  }
  const paths = repoFiles.map((f) => f.path);
  const dtypes = availableDtypes(paths);
  const dtype = chooseDtype({ requested: options.dtype ?? 'auto', available: dtypes, device: options.device ?? 'cpu', shaderF16: options.shaderF16 });
  const needed = filesForDtype(id.repo, paths, dtype).map((p) => repoFiles.find((f) => f.path === p)!);

  const dir = snapshotDir(config.cacheDir, id.repo, commit);
  const blobsDir = path.dirname(blobFile(config.cacheDir, id.repo, needed[0]!.blobName));
  mkdirInside(config.cacheDir, blobsDir);
  mkdirInside(config.cacheDir, dir);
  const isCached = (f: RepoFile) => fs.statSync(blobFile(config.cacheDir, id.repo, f.blobName), { throwIfNoEntry: false })?.size === f.size;
  const get = hubGet(config);
  const progress: Progress = { bytes: 0, total: 0, filesDone: 0, files: 0, speed: speedMeter() };
  await fetchFiles(needed.filter((f) => !isCached(f)), id, commit, config, get, options, progress);
  // The data files the graph itself names (any name, not only model.onnx_data): fetched and verified like the rest.
  const graph = needed.find((f) => f.path === onnxFileFor(dtype))!;
  const named = graphDataFiles(graph, blobFile(config.cacheDir, id.repo, graph.blobName), repoFiles, id).filter((f) => !needed.includes(f));
  needed.push(...named);
  await fetchFiles(named.filter((f) => !isCached(f)), id, commit, config, get, options, progress);
  for (const file of needed) linkSnapshotFile(config.cacheDir, id.repo, commit, file.path, file.blobName);
  writeRef(config.cacheDir, id.repo, id.revision, commit);
  return { repo: id.repo, revision: id.revision, commit, dir, dtype, dtypes, files: needed.map((f) => f.path), downloaded: progress.total, offline: false };
}
