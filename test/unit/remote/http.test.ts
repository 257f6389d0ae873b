/** The remote engine's HTTP against bare local sockets: a server that never answers, a port nobody listens on, a capped Retry-After. */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { DEFAULT_HTTP_OPTIONS, postStream } from '../../../src/node/engines/remote/http';

async function listen(server: net.Server): Promise<URL> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/completions`);
}

describe('remote engine: HTTP faults', () => {
  it('a server that accepts the connection but never answers fails with the connect timeout', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s));
    const url = await listen(server);
    try {
      await assert.rejects(postStream(url, {}, { ...DEFAULT_HTTP_OPTIONS, connectTimeoutMs: 150 }, 'test server', () => undefined), /test server: no response from http:\/\/127\.0\.0\.1:\d+ within 150 ms \(connect timeout\)/);
    } finally {
      sockets.forEach((s) => s.destroy());
      server.close();
    }
  });

  it('a port nobody listens on says the server cannot be reached and what to check', async () => {
    const server = net.createServer();
    const url = await listen(server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await assert.rejects(postStream(url, {}, DEFAULT_HTTP_OPTIONS, 'test server', () => undefined), /test server: cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)\. Check --endpoint/);
  });

  it('caps a long Retry-After at maxRetryDelayMs, and a 400 is not retried', async () => {
    let calls = 0;
    const server = http.createServer((req, res) => {
      calls++;
      req.resume();
      if (calls === 1) {
        res.writeHead(503, { 'retry-after': '3600', 'content-type': 'application/json' });
        res.end('{"error":{"message":"loading"}}');
      } else {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"bad request"}}');
      }
    });
    const url = await listen(server);
    const waits: number[] = [];
    try {
      await assert.rejects(
        postStream(url, {}, { ...DEFAULT_HTTP_OPTIONS, maxRetryDelayMs: 5, onRetry: (i) => waits.push(i.delayMs) }, 'test server', () => undefined),
        /answered HTTP 400 after 2 tries: bad request\./,
      );
      assert.deepEqual(waits, [5]);
      assert.equal(calls, 2);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
