/**
 * For one suite of endpoint E2Es: a workspace folder holding `files`, and the bundled model served
 * on 127.0.0.1 in `dialect`'s wire format (test/support/openaiServer.ts), as mocha hooks. The
 * fields fill in before the first test; register the suite's own `after` (closing its lab) first,
 * so the lab closes before the server does.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CausalLM } from '../../../src/core/model/types';
import type { DialectId } from '../../../src/node/engines/remote/dialects';
import { loadNodeModel } from '../../../src/node/loadNodeModel';
import { OpenAiTestServer } from '../../support/openaiServer';

export interface ServedModel {
  server: OpenAiTestServer;
  workspace: string;
}

export function serveModelInSuite(prefix: string, files: Record<string, string>, dialect: DialectId): ServedModel {
  const served = {} as ServedModel;
  let model: CausalLM | undefined;
  before(async () => {
    served.workspace = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(served.workspace, name), text);
    model = await loadNodeModel({ device: 'cpu' });
    served.server = await new OpenAiTestServer(model, dialect).start();
  });
  after(async () => {
    await served.server?.close();
    await model?.dispose();
    if (served.workspace) fs.rmSync(served.workspace, { recursive: true, force: true });
  });
  return served;
}
