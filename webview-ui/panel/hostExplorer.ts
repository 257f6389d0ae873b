/**
 * The explorer's requests for cards whose model runs in the extension host (a GGUF file with
 * llama.cpp; the run's engine says `explorer: 'host'`): the worker has not got that model, so they
 * go to the host (hostExplorer) and come back as hostExplorerReply, through the protocol's one
 * request/reply pairing, as the worker's do.
 */
import { EXPLORER_REPLIES, type ExplorerReplies, type ExplorerReply, type ExplorerRequest } from '../../src/protocol/explorer';
import type { HostExplorerAsk, HostExplorerReply } from '../../src/protocol/messages';
import { requester } from '../../src/protocol/requests';
import type { ExplorerRequester } from './workerClient';

export class HostExplorerClient {
  private readonly waiting = new Map<string, (reply: ExplorerReply) => void>();
  private ids = 0;

  constructor(private readonly post: (message: HostExplorerAsk) => void) {}

  /** Asks about the cards of run `runId`: the host finds the run's model by the run. */
  requesterFor(runId: string): ExplorerRequester {
    return requester<ExplorerRequest, ExplorerReply, ExplorerReplies>(
      {
        post: (request) => this.post({ type: 'hostExplorer', runId, request }),
        onReplies: (requestId, handler) => {
          this.waiting.set(requestId, handler);
          return { dispose: () => this.waiting.delete(requestId) };
        },
        // The host outlives the panel: no request waits on it going away.
        onClosed: () => ({ dispose: () => undefined }),
        failure: (reply) => (reply.type === 'explorerFailed' ? new Error(reply.error) : undefined),
        closedError: () => new Error('The extension host is gone.'),
        newId: (type) => `host-${type}-${++this.ids}`,
      },
      EXPLORER_REPLIES,
    );
  }

  /** The host's answer, to the request waiting for it (none after a reload: dropped). */
  onReply(message: HostExplorerReply): void {
    this.waiting.get(message.reply.requestId)?.(message.reply);
  }
}
