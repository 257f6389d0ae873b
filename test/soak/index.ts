/**
 * The soak suite's entry in the extension host (`npm run soak`, not part of `npm test`): mocha
 * with soak.test.js only, loaded through `extensionTestsPath` as the extension suites are.
 */
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 0, color: false });
  mocha.addFile(path.join(__dirname, 'soak.test.js'));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} soak test(s) failed`)) : resolve()));
  });
}
