/**
 * Finding the GGUF files LM Studio and Ollama already hold, on folders laid out as each tool
 * writes them (Ollama: manifests/<registry>/<namespace>/<model>/<tag> naming a sha256 blob,
 * as in ollama's server/manifest.go and server/layer.go; LM Studio: <publisher>/<repo>/<file>.gguf).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultGgufRoots, findGgufFiles } from '../../../src/node/engines/llamacpp/ggufFiles';

const GGUF = Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(60)]);

function write(file: string, data: Buffer | string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
}

function ollamaManifest(digest: string, mediaType = 'application/vnd.ollama.image.model'): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: `sha256:${'c'.repeat(64)}`, size: 10 },
    layers: [
      { mediaType: 'application/vnd.ollama.image.template', digest: `sha256:${'d'.repeat(64)}`, size: 5 },
      { mediaType, digest, size: GGUF.length },
    ],
  });
}

describe('GGUF files on this machine (LM Studio, Ollama, any folder)', () => {
  let home: string;
  beforeEach(() => (home = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-gguf-home-'))));
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('knows the default folders and honours OLLAMA_MODELS', () => {
    const roots = defaultGgufRoots({}, '/home/u');
    assert.deepEqual(roots.lmstudio, ['/home/u/.lmstudio/models', '/home/u/.cache/lm-studio/models']);
    assert.deepEqual(roots.ollama, ['/home/u/.ollama/models', '/usr/share/ollama/.ollama/models']);
    assert.deepEqual(defaultGgufRoots({ OLLAMA_MODELS: '/data/ollama' }, '/home/u').ollama, ['/data/ollama']);
  });

  it('lists LM Studio files by publisher/repo/file and Ollama models by name:tag, checking the GGUF magic', () => {
    const lms = path.join(home, '.lmstudio', 'models');
    write(path.join(lms, 'lmstudio-community', 'Qwen3-0.6B-GGUF', 'Qwen3-0.6B-Q8_0.gguf'), GGUF);
    write(path.join(lms, 'lmstudio-community', 'Qwen3-0.6B-GGUF', 'README.md'), 'not a model');
    write(path.join(lms, 'someone', 'fake', 'fake.gguf'), 'not gguf at all'); // wrong magic: skipped
    const ollama = path.join(home, '.ollama', 'models');
    const hex = 'a'.repeat(64);
    write(path.join(ollama, 'blobs', `sha256-${hex}`), GGUF);
    write(path.join(ollama, 'manifests', 'registry.ollama.ai', 'library', 'llama3.2', '1b'), ollamaManifest(`sha256:${hex}`));
    write(path.join(ollama, 'manifests', 'registry.ollama.ai', 'someone', 'tiny', 'latest'), ollamaManifest(`sha256:${hex}`));
    // Hostile or broken manifests: a digest that is a path, a missing blob, not JSON, no model layer.
    write(path.join(ollama, 'manifests', 'registry.ollama.ai', 'library', 'evil', 'latest'), ollamaManifest('sha256:../../../../etc/passwd'));
    write(path.join(ollama, 'manifests', 'registry.ollama.ai', 'library', 'gone', 'latest'), ollamaManifest(`sha256:${'b'.repeat(64)}`));
    write(path.join(ollama, 'manifests', 'registry.ollama.ai', 'library', 'junk', 'latest'), '{not json');
    write(path.join(ollama, 'manifests', 'registry.ollama.ai', 'library', 'adapter', 'latest'), ollamaManifest(`sha256:${hex}`, 'application/vnd.ollama.image.adapter'));

    const found = findGgufFiles(defaultGgufRoots({}, home));
    assert.deepEqual(
      found.map((f) => [f.source, f.name]),
      [
        ['lmstudio', 'lmstudio-community/Qwen3-0.6B-GGUF/Qwen3-0.6B-Q8_0.gguf'],
        ['ollama', 'llama3.2:1b'],
        ['ollama', 'someone/tiny:latest'],
      ],
    );
    assert.equal(found[1]!.file, path.join(ollama, 'blobs', `sha256-${hex}`));
    assert.equal(found[0]!.bytes, GGUF.length);
  });

  it('walks a folder given, but not into a symlinked folder', () => {
    const models = path.join(home, 'models');
    write(path.join(models, 'a', 'x.GGUF'), GGUF);
    const outside = path.join(home, 'outside');
    write(path.join(outside, 'y.gguf'), GGUF);
    fs.symlinkSync(outside, path.join(models, 'link'));
    const found = findGgufFiles({ lmstudio: [], ollama: [], folders: [models] });
    assert.deepEqual(found.map((f) => f.name), ['a/x.GGUF']);
  });

  it('finds nothing, without throwing, when the folders do not exist', () => {
    assert.deepEqual(findGgufFiles(defaultGgufRoots({}, path.join(home, 'nobody'))).filter((f) => f.file.startsWith(home)), []);
  });
});
