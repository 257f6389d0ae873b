/**
 * Calibrate Hallucination Risk… with an endpoint selected: the labelled questions' answers and
 * samples come from the server (test/support/openaiServer.ts on 127.0.0.1, the bundled model behind
 * it), the fit is stored by the endpoint's server and model id, and a risk check on the endpoint,
 * uncalibrated before, shows a band under that fit afterwards.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Calibration } from '../../src/core/consistency';
import { endpointFingerprint } from '../../src/extension/riskCalibrations';
import type { RunRecord } from '../../src/protocol/messages';
import { bundledModel } from '../support/model';
import { OpenAiTestServer } from '../support/openaiServer';
import { writeCalibrationSet } from './calibrationSet';
import { labApi, withSettings } from './extensionApi';

describe('Calibrate Hallucination Risk… on an endpoint', function () {
  this.timeout(600_000);
  let server: OpenAiTestServer;
  before(async () => {
    server = await new OpenAiTestServer(await bundledModel(), 'openai').start();
  });
  after(() => server?.close());

  it('samples on the server, stores the fit by the endpoint’s server and model id, and risk checks on it then show bands', async () => {
    await labApi();
    const { set, probe } = writeCalibrationSet();
    const endpoint = { name: 'calibration-server', baseUrl: server.url, model: 'facts-lm', dialect: 'openai' as const };

    await withSettings({ endpoints: [endpoint], model: `endpoint:${endpoint.name}`, 'risk.samples': 4, 'cache.enabled': false }, async () => {
      const before = await vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.checkRisk', { prompt: probe });
      const first = before?.risks?.[0];
      assert.ok(first, before?.error ?? (await labApi()).lastError());
      assert.equal(first.band, 'uncalibrated', 'an endpoint without its own calibration gets no band');

      const sent = server.requests.length;
      const calibration = await vscode.commands.executeCommand<Calibration | undefined>('samplingLab.calibrateRisk', { file: set });
      assert.ok(calibration, (await labApi()).lastError());
      assert.equal(calibration.model.fingerprint, endpointFingerprint(endpoint));
      assert.equal(calibration.model.name, 'facts-lm (endpoint calibration-server)');
      assert.deepEqual(calibration.meta.rows, { wrong: 6, right: 6 });
      assert.match(String(calibration.meta.source), /on endpoint calibration-server \(http:\/\/127\.0\.0\.1:\d+\): The server sampled the answers and agreement is lexical/);
      const prompts = new Set(server.requests.slice(sent).filter((r) => r.method === 'POST').map((r) => r.body.prompt));
      assert.equal(prompts.size, 12, 'every question went to the server');

      const after = await vscode.commands.executeCommand<RunRecord | undefined>('samplingLab.checkRisk', { prompt: probe });
      const second = after?.risks?.[0];
      assert.ok(second, after?.error);
      assert.ok(['Low', 'Medium', 'High'].includes(second.band), second.band);
      assert.equal(second.calibration?.model, 'facts-lm (endpoint calibration-server)');
    });
  });
});
