/**
 * Prompt-test suite throughput against a server, by client concurrency (1, 4, 16, 64), on the
 * OpenAI-compatible test server with the bundled model behind it (test/support/openaiServer.ts).
 * Rounds are interleaved, so every concurrency sees the same machine load. The test server
 * decodes one request at a time (no continuous batching), so the gain measured is the client's:
 * request, SSE and parse overhead hidden behind the server's work. A vLLM server batches the
 * concurrent requests, and gains far more.
 * Runs alone: npm run bench remote
 */
import { parseSuite } from '../src/core/prompttest';
import { loadNodeModel } from '../src/node/loadNodeModel';
import { RemoteEngine } from '../src/node/engines/remote/remoteEngine';
import { runSuite } from '../src/node/promptTestRunner';
import { OpenAiTestServer } from '../test/support/openaiServer';
import * as fs from 'node:fs';
import * as path from 'node:path';

const LEVELS = [1, 4, 16, 64];
const ROUNDS = 3;
const CASES = 64;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function benchRemote(): Promise<{ markdown: string }> {
  const model = await loadNodeModel({ device: 'cpu' });
  const server = await new OpenAiTestServer(model, 'vllm').start();
  try {
    const people = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', 'models', 'facts-lm', 'world', 'known.json'), 'utf8')) as Array<{ name: string; city: string }>;
    const cases = Array.from({ length: CASES }, (_, i) => people[i % people.length]!)
      .map((p, i) => `  - name: case ${i} ${p.name}\n    prompt: ${JSON.stringify(`Q: Where was ${p.name} born?\nA:`)}\n    assert:\n      - type: contains\n        value: ${p.city}\n`)
      .join('');
    const parsed = parseSuite(`defaults:\n  strategy: greedy\n  max_tokens: 8\ncases:\n${cases}`);
    const seconds: number[][] = LEVELS.map(() => []);
    let passed = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, concurrency] of LEVELS.entries()) {
        const engine = new RemoteEngine({ endpoint: server.url, model: 'facts-lm', dialect: 'vllm', concurrency });
        const t0 = performance.now();
        const report = await runSuite(engine, 'bench', parsed, { identity: { name: 'facts-lm', device: 'bench' }, concurrency });
        seconds[i]!.push((performance.now() - t0) / 1000);
        passed = report.results.filter((r) => r.pass).length;
      }
    }
    const base = CASES / median(seconds[0]!);
    const rows = LEVELS.map((c, i) => {
      const perSecond = CASES / median(seconds[i]!);
      return `| ${c} | ${median(seconds[i]!).toFixed(2)} | ${perSecond.toFixed(1)} | ${(perSecond / base).toFixed(2)}× |`;
    });
    const markdown = [
      `A ${CASES}-case greedy suite (8 new tokens each) through \`runSuite\` and the remote engine, against the test server on 127.0.0.1 (vLLM dialect, bundled model, one decode at a time); median of ${ROUNDS} interleaved rounds; ${passed}/${CASES} cases pass in the last round.`,
      '',
      '| concurrency | suite (s) | cases/s | vs concurrency 1 |',
      '| --- | --- | --- | --- |',
      ...rows,
    ].join('\n');
    return { markdown };
  } finally {
    await server.close();
    await model.dispose();
  }
}
