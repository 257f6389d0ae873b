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

  private askHost(path: string): Promise<Response> {
    const requestId = `file-${++this.next}`;
    return this.pending.wait(requestId, () => this.post({ type: 'readFile', requestId, path }));
  }

  private miss(path: string, status: number): Response {
    // transformers.js treats a 404 as "optional file absent"; the log says which.
    this.onMiss(path, status);
    return new Response(null, { status });
  }
}
