import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { suiteModelSetting } from '../../../src/node/suiteModel';

describe("a suite's model: as the resolvers take it", () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-suite-model-'));
    fs.mkdirSync(path.join(dir, 'models', 'tiny'), { recursive: true });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const suite = () => path.join(dir, 'cities.prompttest.yaml');

  it('takes a relative folder from the suite file, not the working folder', () => {
    assert.equal(suiteModelSetting('./models/tiny', suite()), path.join(dir, 'models', 'tiny'));
    assert.equal(suiteModelSetting('models/tiny', suite()), path.join(dir, 'models', 'tiny'), 'owner/name that is a folder beside the suite');
    assert.equal(suiteModelSetting('../elsewhere', suite()), path.resolve(dir, '..', 'elsewhere'), './ and ../ are paths even when missing');
  });

  it('passes the bundled name, a hub id, an absolute or home path and endpoint:NAME on as written', () => {
    for (const value of ['facts-lm', 'Xenova/distilgpt2', 'Xenova/distilgpt2@main', '/opt/models/x', '~/models/x', 'endpoint:gpu-box']) {
      assert.equal(suiteModelSetting(value, suite()), value);
    }
  });
});
