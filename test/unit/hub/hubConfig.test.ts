/** Hub settings read like Python's huggingface_hub reads them, and cache paths a hostile repository cannot steer. */
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultCacheDir, hubConfig } from '../../../src/node/hub/hubConfig';
import { blobFile, repoFolderName, safeRepoPath } from '../../../src/node/hub/hubCache';

describe('hub configuration and cache paths', () => {
  it('finds the cache as huggingface_hub does: HF_HUB_CACHE, then HF_HOME/hub, then XDG_CACHE_HOME, then ~/.cache', () => {
    assert.equal(defaultCacheDir({ HF_HUB_CACHE: '/x/hub', HF_HOME: '/y' }), path.resolve('/x/hub'));
    assert.equal(defaultCacheDir({ HF_HOME: '/y' }), path.resolve('/y/hub'));
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/z' }), path.resolve('/z/huggingface/hub'));
    assert.equal(defaultCacheDir({}), path.join(os.homedir(), '.cache', 'huggingface', 'hub'));
  });

  it('reads HF_ENDPOINT, HF_TOKEN and HF_HUB_OFFLINE; explicit settings win', () => {
    const env = { HF_ENDPOINT: 'https://mirror.example/', HF_TOKEN: 'hf_env', HF_HUB_OFFLINE: 'true', HF_HUB_CACHE: '/c' };
    const fromEnv = hubConfig({}, env);
    assert.deepEqual(fromEnv, { endpoint: 'https://mirror.example', token: 'hf_env', cacheDir: path.resolve('/c'), offline: true, proxy: undefined });
    const overridden = hubConfig({ endpoint: 'http://127.0.0.1:8080', token: 'hf_set', offline: false, cacheDir: '/d' }, env);
    assert.deepEqual([overridden.endpoint, overridden.token, overridden.offline, overridden.cacheDir], ['http://127.0.0.1:8080', 'hf_set', false, path.resolve('/d')]);
    assert.equal(hubConfig({}, {}).endpoint, 'https://huggingface.co');
    assert.equal(hubConfig({}, { HF_HUB_OFFLINE: '0' }).offline, false);
    assert.throws(() => hubConfig({ endpoint: 'file:///etc' }, {}), /not an http\(s\) URL/);
  });

  it('refuses repository paths and blob names that would leave the cache', () => {
    assert.equal(repoFolderName('onnx-community/Qwen3-0.6B-ONNX'), 'models--onnx-community--Qwen3-0.6B-ONNX');
    assert.equal(safeRepoPath('onnx/model.onnx'), path.join('onnx', 'model.onnx'));
    for (const bad of ['../x', 'onnx/../../x', '/etc/passwd', 'C:/x', 'a\\b', 'a//b', '']) assert.throws(() => safeRepoPath(bad), /not a plain relative path/, bad);
    assert.throws(() => blobFile('/c', 'a/b', '../../x'), /not a git oid or sha256/);
    assert.equal(blobFile('/c', 'a/b', 'a'.repeat(64)), path.join('/c', 'models--a--b', 'blobs', 'a'.repeat(64)));
  });
});
