/**
 * For one suite of tests against a server: the bundled model loaded once, and `serve(dialect)`,
 * which starts an OpenAI-compatible test server speaking that dialect with the model behind it
 * and opens a remote engine on it (retries without waiting). Servers close after the suite.
 */
import type { CausalLM } from '../../src/core/model/types';
import type { DialectId } from '../../src/node/engines/remote/dialects';
import { RemoteEngine } from '../../src/node/engines/remote/remoteEngine';
import { bundledModel } from './model';
import { OpenAiTestServer } from './openaiServer';

export interface ServedEngines {
  /** The bundled model the servers run (set before the first test). */
  model(): CausalLM;
  serve(dialect: DialectId): Promise<{ server: OpenAiTestServer; engine: RemoteEngine }>;
}

export function servedEnginesInSuite(): ServedEngines {
  let model: CausalLM | undefined;
  const servers: OpenAiTestServer[] = [];
  before(async () => {
    model = await bundledModel();
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
  return {
    model: () => model!,
    async serve(dialect) {
      const server = await new OpenAiTestServer(model!, dialect).start();
      servers.push(server);
      return { server, engine: new RemoteEngine({ endpoint: server.url, model: server.modelId, dialect, http: { retryBaseMs: 1 } }) };
    },
  };
}
