/** The small workspace the extension-host suites open: one prompt file. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const PROMPT_FILE = 'prompts.txt';

export function writeTestWorkspace(dir: string): string {
  fs.writeFileSync(path.join(dir, PROMPT_FILE), 'Q: Where was Ada Lovelace born?\nA:\n');
  return dir;
}
