/**
 * BENCHMARKS.md sections that scripts other than `npm run bench` own (`npm run test:load`,
 * `npm run soak`): each is written between its own markers, and `npm run bench` keeps them when
 * it rewrites the rest of the file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const BENCHMARKS_FILE = path.resolve(__dirname, '..', '..', 'BENCHMARKS.md');

const SECTION = /<!-- section:([\w-]+) -->[\s\S]*?<!-- \/section:\1 -->\n?/g;

/** Replaces (or appends) the section `name` of the file with `markdown`. */
export function writeSection(name: string, markdown: string, file = BENCHMARKS_FILE): void {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const block = `<!-- section:${name} -->\n${markdown.trimEnd()}\n<!-- /section:${name} -->\n`;
  let found = false;
  const replaced = text.replace(SECTION, (whole, id: string) => {
    if (id !== name) return whole;
    found = true;
    return block;
  });
  fs.writeFileSync(file, found ? replaced : `${text.trimEnd()}\n\n${block}`);
}

/** Every owned section of `text`, as written: what a rewrite of the file must keep. */
export function ownedSections(text: string): string {
  return [...text.matchAll(SECTION)].map((m) => m[0].trimEnd()).join('\n\n');
}
