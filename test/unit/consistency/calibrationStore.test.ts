import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CalibrationError, FACTS_LM_CALIBRATION, RISK_BANDS, RISK_PARTS, type Calibration } from '../../../src/core/consistency';
import { CalibrationStore, cliCalibrationDir } from '../../../src/node/calibrationStore';
import { modelFingerprint } from '../../../src/node/modelFingerprint';
import { resolveModel } from '../../../src/node/modelFolder';

const calibration = (fingerprint: string): Calibration => ({
  version: 2,
  model: { name: 'm', fingerprint },
  meta: { fitted: '2026-01-01' },
  features: [...RISK_PARTS],
  weights: [1, 1, 1, 0.5, 0.5],
  bias: -2,
  bands: { ...RISK_BANDS },
});

describe('calibrations by model fingerprint (node/calibrationStore.ts)', () => {
  const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sl-store-'));

  it('the bundled model\'s fingerprint is the one facts-lm\'s shipped calibration names; a stored one takes precedence', () => {
    const fingerprint = modelFingerprint(resolveModel(undefined));
    const store = new CalibrationStore(dir());
    assert.equal(store.get(fingerprint), FACTS_LM_CALIBRATION);
    store.save(calibration(fingerprint));
    assert.deepEqual(store.get(fingerprint)?.weights, [1, 1, 1, 0.5, 0.5]);
    assert.deepEqual(fs.readdirSync(store.dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file is left');
  });

  it('another model has no calibration: never facts-lm\'s', () => {
    assert.equal(new CalibrationStore(dir()).get('sha256:0000'), undefined);
  });

  it('a content change is another model: a copy with another config.json gets another fingerprint, an exact copy the same', () => {
    const bundled = resolveModel(undefined);
    const copy = path.join(dir(), 'copy');
    fs.cpSync(bundled.dir, copy, { recursive: true });
    assert.equal(modelFingerprint({ kind: 'folder', id: 'copy', dir: copy }), modelFingerprint(bundled));
    fs.appendFileSync(path.join(copy, 'config.json'), '\n');
    assert.notEqual(modelFingerprint({ kind: 'folder', id: 'copy', dir: copy }), modelFingerprint(bundled));
    assert.equal(modelFingerprint({ kind: 'hub', id: 'owner/name', dir: '' }), 'hub:owner/name');
  });

  it('a broken or foreign stored file is an error naming the file and the fix, not a silent fallback', () => {
    const store = new CalibrationStore(dir());
    fs.mkdirSync(store.dir, { recursive: true });
    fs.writeFileSync(store.fileFor('sha256:aaaa'), '{"version": 1}');
    assert.throws(() => store.get('sha256:aaaa'), (e: unknown) => e instanceof CalibrationError && /sha256_aaaa\.json: .*version 1.*Delete the file or calibrate the model again/.test(e.message));
    fs.writeFileSync(store.fileFor('sha256:bbbb'), JSON.stringify(calibration('sha256:cccc')));
    assert.throws(() => store.get('sha256:bbbb'), /is for model sha256:cccc, not sha256:bbbb/);
  });

  it('the CLI keeps them in $SAMPLING_LAB_CACHE, else the XDG cache folder', () => {
    assert.equal(cliCalibrationDir({ SAMPLING_LAB_CACHE: '/x' }), path.join('/x', 'risk-calibration'));
    assert.equal(cliCalibrationDir({ XDG_CACHE_HOME: '/c' }), path.join('/c', 'sampling-lab', 'risk-calibration'));
  });
});
