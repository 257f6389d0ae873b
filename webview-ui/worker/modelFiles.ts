/**
 * How transformers.js reads model files in the worker. Its `localModelPath` is set to a
 * relative prefix, so every file goes through `env.fetch`, and this class resolves it:
 * - a bundled model or a hub cache's: fetched from its folder as a webview resource URL, by the
 *   panel's document (`fetchResource`; see src/protocol/resources.ts for why not here);
 * - a folder the user picked: asked of the host (`readFile`), since the webview may only read
 *   the extension's own folders.
 * (A URL as localModelPath does not work: transformers.js 4 then skips the local lookup when
 * it checks whether tokenizer_config.json exists, and finds no tokenizer.)
 */
import type { FileDataReply, FileErrorReply, ModelSpec, ReadFileRequest } from '../../src/protocol/messages';
import type { PendingReplies } from './pendingReplies';

export const MODEL_PREFIX = 'sampling-lab-model/';

export class ModelFiles {
  private next = 0;
  private spec: ModelSpec | undefined;
  /** The first file that failed for a reason other than absence, since the last takeFailure(). */
  private failure: Error | undefined;

  constructor(
    private readonly pending: PendingReplies,
    private readonly post: (request: ReadFileRequest) => void,
    private readonly onMiss: (path: string, status: number) => void,
    private readonly fetchResource: (url: string) => Promise<Response>,
  ) {}

  /** The model whose files `fetch` serves from now on. */
  use(spec: ModelSpec): void {
    this.spec = spec;
  }

  /** env.fetch: `sampling-lab-model/<id>/<path>` → the file's bytes. */
  readonly fetch = async (input: RequestInfo | URL): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const spec = this.spec;
    if (!spec || !url.startsWith(MODEL_PREFIX)) return this.miss(url, 404);
    // Drop the model id: the base URL (or the host's folder) is the model folder itself.
    const path = url.slice(MODEL_PREFIX.length).split('/').slice(1).join('/');
    if (spec.via === 'fetch') {
      const response = await this.fetchResource(`${spec.baseUrl}${spec.id}/${path}`);
      return response.ok ? response : this.miss(path, response.status);
    }
    const response = await this.askHost(path);
    return response.ok ? response : this.miss(path, response.status);
  };

  reply(message: FileDataReply | FileErrorReply): void {
    const waiter = this.pending.take(message.requestId);
    if (!waiter) return;
    if (message.type === 'fileData') {
      const body = message.data as Uint8Array<ArrayBuffer>;
      waiter.resolve(new Response(body, { status: 200, headers: { 'content-length': String(body.byteLength) } }));
    } else {
      waiter.resolve(new Response(null, { status: message.status, statusText: message.error }));
    }
  }

  /**
   * Why a file could not be read, if one failed since the last call. transformers.js catches what
   * its fetch throws and reports the file as "not found locally", so the load's error is replaced
   * by this one.
   */
  takeFailure(): Error | undefined {
    const failure = this.failure;
    this.failure = undefined;
    return failure;
  }

  private askHost(path: string): Promise<Response> {
    const requestId = `file-${++this.next}`;
    return this.pending.wait(requestId, () => this.post({ type: 'readFile', requestId, path }));
  }

  /**
   * A file that did not arrive. transformers.js treats a 404 as "optional file absent" (the log
   * says which), but reads any other status's body as the file's bytes: a null body then failed as
   * "Cannot read properties of null (reading 'getReader')". So anything else is thrown, named.
   */
  private miss(path: string, status: number): Response {
    this.onMiss(path, status);
    if (status === 404) return new Response(null, { status });
    const failure = new Error(missMessage(path, status));
    this.failure ??= failure;
    throw failure;
  }
}

/** Why a model file could not be read, and what to do about it. */
export function missMessage(path: string, status: number): string {
  if (status === 408) {
    // VS Code's webview service worker reads a resource whole through the editor window and gives
    // up after 30 s (resolveTimeout in its service-worker.js). Measured in code-server 4.100.3: a
    // 389 MB graph missed it even on an idle machine (`npm run bench -- memory`).
    return (
      `The editor did not hand the panel ${path} within its 30 s limit for a webview resource (HTTP 408). ` +
      'It reads a file whole before the panel gets any of it; in code-server and remote windows a file of a few hundred MB already takes longer, and a busy machine makes it worse. ' +
      'Choose smaller weights (samplingLab.dtype: q8 or q4); the CLI (sampling-lab --model) reads the file from disk and has no such limit.'
    );
  }
  if (status === 401 || status === 403) return `The panel was not allowed to read ${path} (HTTP ${status}). Reload the window, then select the model again.`;
  return `Reading ${path} for the panel failed (HTTP ${status}). Select the model again; the log (Sampling Lab: Show Log) has the details.`;
}
