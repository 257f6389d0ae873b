/** BENCHMARKS.md's owned sections: test:load and soak write theirs, and npm run bench keeps them. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ownedSections, writeSection } from '../../../tools/test/benchmarksFile';

describe('BENCHMARKS.md sections', () => {
  let file: string;
  beforeEach(() => (file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sl-bench-')), 'BENCHMARKS.md')));
  afterEach(() => fs.rmSync(path.dirname(file), { recursive: true, force: true }));

  it('appends a section, then replaces it in place, leaving the rest alone', () => {
    fs.writeFileSync(file, '# Benchmarks\n\n## Decode loop\n\n| a |\n');
    writeSection('load', '## Under load\n\nfirst', file);
    writeSection('soak', '## Soak\n\none', file);
    writeSection('load', '## Under load\n\nsecond', file);
    const text = fs.readFileSync(file, 'utf8');
    assert.match(text, /^# Benchmarks\n\n## Decode loop\n\n\| a \|\n\n<!-- section:load -->\n## Under load\n\nsecond\n<!-- \/section:load -->\n/);
    assert.equal(text.match(/section:load -->/g)?.length, 2, 'one load section');
    assert.doesNotMatch(text, /first/);
    assert.match(text, /## Soak\n\none/);
  });

  it("gives back every owned section as written, for bench's rewrite to keep", () => {
    writeSection('load', '## Under load\n\nx', file);
    writeSection('soak', '## Soak\n\ny', file);
    const kept = ownedSections(fs.readFileSync(file, 'utf8'));
    assert.equal(kept, '<!-- section:load -->\n## Under load\n\nx\n<!-- /section:load -->\n\n<!-- section:soak -->\n## Soak\n\ny\n<!-- /section:soak -->');
    assert.equal(ownedSections('# Benchmarks\n\nno sections\n'), '');
  });
});
