/** The prompt of README.md's first command, read the way bash reads it, for the tests that keep that command's claim true. */

/** Decodes a bash ANSI-C quoted string's body (`$'…'`): the escapes the README can use. */
function ansiC(body: string): string {
  const escapes: Record<string, string> = { n: '\n', t: '\t', '\\': '\\', "'": "'", '"': '"' };
  return body.replace(/\\(.)/g, (whole, c: string) => escapes[c] ?? whole);
}

/** The prompt the README's first command (`npm start -- $'…'` or `'…'`) gives the CLI; throws when the README has no such command. */
export function readmeFirstPrompt(readme: string): string {
  const line = readme.split('\n').find((l) => l.includes('npm start --'));
  const quoted = line && /npm start -- (?:\$'((?:[^'\\]|\\.)*)'|'([^']*)')/.exec(line);
  if (!quoted) throw new Error("README.md's first command is not `npm start -- $'PROMPT'` any more: update test/support/readme.ts");
  return quoted[1] !== undefined ? ansiC(quoted[1]) : quoted[2]!;
}
