import * as assert from 'node:assert/strict';
import { validateHostToWebview, validateWebviewToHost, validateWorkerRequest } from '../../src/protocol/validate';
import { labApi, nextEvent } from './extensionApi';

describe('host <-> panel protocol', () => {
  it('accepts well-formed messages of each direction', () => {
    assert.ok(validateWebviewToHost({ type: 'ready', protocolVersion: 1 }).ok);
    assert.ok(validateWebviewToHost({ type: 'tokens', requestId: 'r1', events: [] }).ok);
    assert.ok(validateHostToWebview({ type: 'cancel', requestId: 'r1' }).ok);
    assert.ok(validateHostToWebview({ type: 'fileData', requestId: 'f1', data: new Uint8Array([1, 2]) }).ok);
  });

  it('rejects unknown types, missing fields and wrong field types, saying where', () => {
    const cases: [unknown, RegExp][] = [
      [null, /message must be an object/],
      [{ type: 'explode' }, /unknown message type "explode"/],
      [{ type: 'tokens', requestId: 7, events: [] }, /tokens\.requestId must be a string/],
      [{ type: 'tokens', requestId: 'r', events: [{ strategy: 0, sample: 0, step: 0, token: { token: 1.5 } }] }, /events\[0\]\.token\.token must be an integer/],
      [{ type: 'modelLoaded', requestId: 'r', model: 'm', backend: 'cuda', loadMs: 1 }, /backend must be one of webgpu, wasm/],
    ];
    for (const [message, error] of cases) {
      const checked = validateWebviewToHost(message);
      assert.equal(checked.ok, false, JSON.stringify(message));
      assert.match((checked as { error: string }).error, error);
    }
  });

  it('checks risk reports, run updates and the card index of Insert', () => {
    const report = {
      mainStrategy: 0,
      samplesStrategy: 1,
      answer: ' Ashgrove.',
      risk: 0.9,
      band: 'High',
      parts: { disagreement: 0.25, entropy: 0.35, unbacked: 0.25, lowConfidence: 0.1, weakestToken: 0.3 },
      calibration: { model: 'facts-lm', fitted: '2026-12-01' },
      explanation: '2 of 8 samples name a different birthplace.',
      samples: 8,
      agreement: 0.75,
      majorityShare: 0.75,
      entropy: 0.73,
      mainCluster: 0,
      clusters: [{ size: 6, example: ' Ashgrove.', members: [0, 1, 3, 5, 6, 7] }],
      sentences: [{ text: 'Ashgrove.', start: 1, end: 10, risk: 0.1, weakestWords: [] }],
    };
    const run = { id: 'r', kind: 'risk', startedAt: 't', prompt: 'p', model: 'm', options: { maxNewTokens: 1, seed: 1, samples: 8 }, strategies: [], status: 'done', risks: [report], cached: true };
    assert.ok(validateHostToWebview({ type: 'runUpdated', run }).ok);
    assert.ok(validateWebviewToHost({ type: 'insert', runId: 'r', text: 'x', strategy: 0 }).ok);
    const cases: [unknown, RegExp][] = [
      [{ type: 'runUpdated', run: { ...run, risks: [{ ...report, band: 'Severe' }] } }, /runUpdated\.run\.risks\[0\]\.band must be one of Low, Medium, High, uncalibrated/],
      [{ type: 'runUpdated', run: { ...run, risks: [{ ...report, parts: { disagreement: 0.25 } }] } }, /risks\[0\]\.parts\.entropy must be a number/],
      [{ type: 'runUpdated', run: { ...run, risks: [{ ...report, clusters: [{ size: '6' }] }] } }, /clusters\[0\]\.size must be an integer/],
      [{ type: 'runUpdated', run: { ...run, cached: 'yes' } }, /runUpdated\.run\.cached must be a boolean/],
      [{ type: 'runUpdated', run: { ...run, kind: 'quiz' } }, /runUpdated\.run\.kind must be one of compare, risk/],
    ];
    for (const [message, error] of cases) {
      const checked = validateHostToWebview(message);
      assert.equal(checked.ok, false, JSON.stringify(message));
      assert.match((checked as { error: string }).error, error);
    }
    assert.match((validateWebviewToHost({ type: 'insert', runId: 'r', text: 'x', strategy: 'greedy' }) as { error: string }).error, /insert\.strategy must be an integer/);
  });

  it('the worker accepts only requests meant for it', () => {
    assert.equal(validateWorkerRequest({ type: 'history', runs: [] }).ok, false);
    assert.equal(validateWorkerRequest({ type: 'runUpdated', run: {} }).ok, false);
    assert.equal(validateWorkerRequest({ type: 'cancel', requestId: 'r' }).ok, true);
  });

  it('the host rejects a malformed message from the panel with an error, and keeps working', async () => {
    const api = await labApi();
    const rejected = api.receiveFromPanel({ type: 'compareDone', requestId: 'r-1', result: { prompt: 3 } });
    assert.equal(rejected.ok, false);
    assert.match((rejected as { error: string }).error, /compareDone\.result\.prompt must be a string/);
    assert.deepEqual(api.receiveFromPanel({ type: 'log', level: 'info', message: 'still here' }), { ok: true });
  });

  it('the panel rejects a malformed message from the host with a protocolError, and keeps working', async () => {
    const api = await labApi();
    const answer = nextEvent(api.onPanelEvent, (e) => e.type === 'protocolError', 30_000);
    assert.equal(await api.postToPanel({ type: 'compare', requestId: 42 }), true);
    const event = await answer;
    assert.equal(event.type, 'protocolError');
    assert.match((event as { error: string }).error, /compare\.requestId must be a string/);
    // The panel still answers: a well-formed message is still handled.
    const log = nextEvent(api.onPanelEvent, (e) => e.type === 'protocolError', 30_000);
    await api.postToPanel({ type: 'nonsense' });
    assert.match(((await log) as { error: string }).error, /unknown message type "nonsense"/);
  });
});
