/**
 * The memory bench's suite entry in the extension host (`npm run bench -- memory`, not part of
 * `npm test`): mocha with memory.test.js only, loaded through `extensionTestsPath` as the soak is.
 */
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 0, color: false });
  mocha.addFile(path.join(__dirname, 'memory.test.js'));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} memory test(s) failed`)) : resolve()));
  });
}
