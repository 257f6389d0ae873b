/**
 * ONNX external data (onnx/model.onnx + onnx/model.onnx_data, as hub exports of models over 2 GB
 * ship) end to end in Node: the hub client fetches and verifies the data files the graph names,
 * whatever their names; the cache counts them as part of the model; onnxruntime-node loads them
 * and gives the bundled model's logits (the same weights, moved out of the graph by
 * tools/model/external_data.py); a missing or truncated data file is named before the runtime sees it.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseHubId } from '../../src/core/model/hubModel';
import type { CausalLM } from '../../src/core/model/types';
import { hubConfig, type HubConfig } from '../../src/node/hub/hubConfig';
import { HubError } from '../../src/node/hub/hubErrors';
import { listCachedModels, snapshotDir } from '../../src/node/hub/hubCache';
import { pullModel } from '../../src/node/hub/pullModel';
import { loadNodeModel } from '../../src/node/loadNodeModel';
import { ensureModel } from '../../src/node/modelFolder';
import { readExternalDataRefs } from '../../src/node/onnxExternalData';
import { externalDataFolder, externalDataRepo } from '../support/externalDataModel';
import { startHubServer, type HubServer } from '../support/hubServer';
import { bundledModel, cityQuestion, world } from '../support/model';

const SINGLE = 'sampling-lab/facts-external';
const CHUNKS = 'sampling-lab/facts-external-chunks';
const NAMED = 'sampling-lab/facts-external-named';
const BROKEN = 'sampling-lab/facts-external-broken';
const DATA = 'onnx/model.onnx_data';

async function lastLogits(model: CausalLM, prompt: string): Promise<Float32Array> {
  return (await model.forward([model.encodePrompt(prompt)], null)).logits.slice(0, model.vocabSize);
}

describe('ONNX external data: download, cache and load (onnxruntime-node)', function () {
  this.timeout(300_000);
  let server: HubServer;
  let cacheDir: string;
  let brokenCommit: string;
  const single = externalDataRepo();
  const chunks = externalDataRepo({ chunks: 2 });
  const named = externalDataRepo({ location: 'weights.bin' });
  const prompt = cityQuestion(world('known')[0]!.name);

  before(async () => {
    server = await startHubServer();
    server.addRepo({ id: SINGLE, files: single });
    server.addRepo({ id: CHUNKS, files: chunks });
    server.addRepo({ id: NAMED, files: named });
    brokenCommit = server.addRepo({ id: BROKEN, files: Object.fromEntries(Object.entries(named).filter(([f]) => f !== 'onnx/weights.bin')) }).commit;
  });
  after(() => server.close());
  beforeEach(() => {
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hub-extdata-'));
    server.requests.length = 0;
  });
  afterEach(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

  const config = (extra: Partial<HubConfig> = {}): HubConfig => ({ ...hubConfig({ endpoint: server.endpoint, cacheDir }, {}), ...extra });
  const id = (text: string) => parseHubId(text)!;
  const load = (model: string) => loadNodeModel({ device: 'cpu', model, hub: { endpoint: server.endpoint, cacheDir } });

  it('the generated graph keeps its weights outside: it names its data file and is a small part of the model', () => {
    assert.ok(single[DATA]!.length > 20 * single['onnx/model.onnx']!.length, 'the weights are in model.onnx_data');
    const dir = externalDataFolder({ chunks: 2 });
    try {
      const refs = readExternalDataRefs(path.join(dir, 'onnx', 'model.onnx'));
      assert.deepEqual(refs.map((r) => r.location).sort(), ['model.onnx_data', 'model.onnx_data_1']);
      for (const ref of refs) assert.equal(ref.minBytes, fs.statSync(path.join(dir, 'onnx', ref.location)).size, `${ref.location} ends with its last tensor`);
    } finally {
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });

  it('pulls the graph and its data file, refetches wrong bytes in the data file, and loads with the bundled logits', async () => {
    server.inject({ kind: 'corrupt', path: DATA });
    const pulled = await pullModel(id(SINGLE), config(), { download: { retryDelayMs: 1 } });
    assert.equal(pulled.dtype, 'fp32');
    assert.ok(pulled.files.includes(DATA), `files: ${pulled.files.join(', ')}`);
    assert.ok(fs.readFileSync(path.join(pulled.dir, DATA)).equals(single[DATA]!), 'the data file in the snapshot is the verified one');
    assert.equal(server.fileRequests(DATA).filter((r) => r.host === 'hub').length, 2, 'the data file is fetched again after the corrupt copy');
    assert.equal(server.requests.filter((r) => r.host === 'cdn').length, 3, 'the graph once, the data file twice (both LFS)');

    const model = await load(SINGLE);
    assert.deepEqual(await lastLogits(model, prompt), await lastLogits(await bundledModel(), prompt));
    await model.dispose();
  });

  for (const [repo, files, expected] of [
    [CHUNKS, chunks, ['onnx/model.onnx_data', 'onnx/model.onnx_data_1']],
    [NAMED, named, ['onnx/weights.bin']],
  ] as const) {
    it(`fetches the data files the graph names (${expected.join(', ')}) and loads them`, async () => {
      const pulled = await pullModel(id(repo), config());
      for (const file of expected) {
        assert.ok(pulled.files.includes(file), `${file} in ${pulled.files.join(', ')}`);
        assert.ok(fs.readFileSync(path.join(pulled.dir, file)).equals(files[file]!));
      }
      const model = await load(repo);
      assert.deepEqual(await lastLogits(model, prompt), await lastLogits(await bundledModel(), prompt));
      await model.dispose();
    });
  }

  it('the cache counts the data files as the model: size on disk, offline load, removal', async () => {
    await pullModel(id(SINGLE), config());
    const cached = listCachedModels(cacheDir).find((m) => m.repo === SINGLE)!;
    const modelBytes = single['onnx/model.onnx']!.length + single[DATA]!.length;
    assert.ok(cached.sizeOnDisk >= modelBytes, `${cached.sizeOnDisk} bytes on disk, the graph and its data are ${modelBytes}`);
    assert.ok(cached.snapshots[0]!.files.includes(DATA));
    const offline = await pullModel(id(SINGLE), config({ offline: true }));
    assert.ok(offline.offline && offline.files.includes(DATA), `offline files: ${offline.files.join(', ')}`);
    // A data file gone from the cache is named when the model is checked before loading.
    fs.rmSync(fs.realpathSync(path.join(offline.dir, DATA)));
    await assert.rejects(ensureModel(SINGLE, { hub: { cacheDir, offline: true } }), /keeps its weights in model\.onnx_data, which is missing/);
  });

  it('a repository that lacks the data file its graph names is refused, naming the file, and nothing is linked', async () => {
    await assert.rejects(pullModel(id(BROKEN), config()), (e: unknown) => {
      assert.ok(e instanceof HubError, String(e));
      assert.match(e.message, /onnx\/model\.onnx in sampling-lab\/facts-external-broken keeps its weights in onnx\/weights\.bin, which the repository does not have/);
      return true;
    });
    assert.ok(!fs.existsSync(path.join(snapshotDir(cacheDir, BROKEN, brokenCommit), 'onnx', 'model.onnx')), 'no snapshot that cannot load');
  });

  it('a folder whose data file is missing or truncated is refused before the runtime sees it, naming the file', async () => {
    const dir = externalDataFolder();
    try {
      const data = path.join(dir, 'onnx', 'model.onnx_data');
      fs.truncateSync(data, fs.statSync(data).size - 100);
      await assert.rejects(ensureModel(dir), (e: Error) => {
        assert.match(e.message, new RegExp(`${data.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is truncated: \\d+ bytes, but model\\.onnx reads \\d+ bytes of it`));
        return true;
      });
      fs.rmSync(data);
      await assert.rejects(loadNodeModel({ device: 'cpu', model: dir }), /model\.onnx keeps its weights in model\.onnx_data, which is missing/);
    } finally {
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });
});
