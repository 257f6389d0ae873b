/**
 * `npm run bench -- memory`: peak memory of the extension host and the webview while a ~400 MB
 * model loads into the panel. A Qwen3-shaped random-weight model (fp32, hidden 640: a 389 MB
 * graph, plus Qwen3's 11 MB tokenizer) is generated here, once with its weights inline and once in
 * external data (tools/model/external_data.py), pulled through the hub test server into a
 * Hugging Face cache, and then loaded by Select Model in code-server + Chromium (WASM), offline.
 * Around each load the suite (test/memory) asks for a mark: every process under this one (the
 * extension host, code-server, Chromium's browser, GPU and renderer processes) gets its peak RSS
 * reset (/proc/PID/clear_refs 5) before, and its peak (VmHWM) read after.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseHubId } from '../src/core/model/hubModel';
import { hubConfig } from '../src/node/hub/hubConfig';
import { pullModel } from '../src/node/hub/pullModel';
import { REPO_ROOT } from '../test/e2e/support/codeServer';
import { runInExtensionHost } from '../test/e2e/support/extensionHost';
import { writeTestWorkspace } from '../test/extension/workspace';
import { folderFiles, startHubServer } from '../test/support/hubServer';
import { qwen3RandomFiles, type Qwen3Shape } from '../test/support/qwen3Model';

/** fp32 embedding 151,936 × 640 × 4 bytes = 389 MB: the issue's ~400 MB model. */
const SHAPE: Qwen3Shape = { hiddenSize: 640, layers: 2, kvHeads: 2, headDim: 64 };
const INLINE = 'bench/qwen3-400mb';
const EXTERNAL = 'bench/qwen3-400mb-external';

interface Proc {
  pid: number;
  role: string;
}

/** Every process below `root`, named by what it is. */
function processTree(root: number): Proc[] {
  const parents = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone
    }
  }
  const below = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (p === root) return true;
    return false;
  };
  return [...parents.keys()].filter(below).map((pid) => ({ pid, role: roleOf(pid) }));
}

function roleOf(pid: number): string {
  let cmd = '';
  try {
    cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return 'gone';
  }
  if (cmd.includes('--type=extensionHost')) return 'extension host';
  const type = /--type=([\w-]+)/.exec(cmd)?.[1];
  if (/chrom/i.test(cmd)) return type ? `chromium ${type}` : 'chromium browser';
  if (cmd.includes('code-server')) return type ? `code-server ${type}` : 'code-server';
  return path.basename(cmd.split(' ')[0] ?? '?');
}

/** VmRSS and VmHWM of a process, in bytes. */
function memoryOf(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Resets each process's peak to its current RSS (Linux: clear_refs 5), returning that RSS. */
function resetPeaks(): Map<number, { role: string; rss: number }> {
  const out = new Map<number, { role: string; rss: number }>();
  for (const p of processTree(process.pid)) {
    try {
      fs.writeFileSync(`/proc/${p.pid}/clear_refs`, '5');
    } catch {
      continue;
    }
    const m = memoryOf(p.pid);
    if (m) out.set(p.pid, { role: p.role, rss: m.rss });
  }
  return out;
}

interface Growth {
  role: string;
  pid: number;
  before: number;
  peak: number;
}

function readPeaks(before: Map<number, { role: string; rss: number }>): Growth[] {
  const out: Growth[] = [];
  for (const [pid, b] of before) {
    const m = memoryOf(pid);
    if (m) out.push({ role: b.role, pid, before: b.rss, peak: m.peak });
  }
  return out;
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { cwd: REPO_ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status})`);
}

/** The two repositories (inline and external data), with only the fp32 graph. */
function benchRepos(work: string): Record<string, Record<string, Buffer>> {
  const files = qwen3RandomFiles(SHAPE, ['fp32']);
  const graph = path.join(work, 'inline.onnx');
  fs.writeFileSync(graph, files['onnx/model.onnx']!);
  const externalDir = path.join(work, 'external');
  fs.mkdirSync(externalDir);
  const r = spawnSync('/usr/bin/python3', [path.join(REPO_ROOT, 'tools', 'model', 'external_data.py'), graph, path.join(externalDir, 'model.onnx')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tools/model/external_data.py failed (apt-get install python3-onnx):\n${r.stderr}`);
  const external: Record<string, Buffer> = { ...files };
  delete external['onnx/model.onnx'];
  for (const [rel, data] of Object.entries(folderFiles(externalDir))) external[`onnx/${rel}`] = data;
  fs.rmSync(graph);
  return { [INLINE]: files, [EXTERNAL]: external };
}

export async function benchMemory(): Promise<{ markdown: string }> {
  run('bash', ['tools/e2e/install-code-server.sh']);
  run('node', ['esbuild.js', '--quiet']);
  run('node', ['tools/e2e/build-extension-tests.js']);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-memory-'));
  const cacheDir = path.join(work, 'hub');
  const outDir = path.join(work, 'marks');
  fs.mkdirSync(outDir);
  try {
    let modelBytes = 0;
    {
      const repos = benchRepos(work);
      modelBytes = Object.values(repos[INLINE]!).reduce((n, b) => n + b.length, 0);
      const server = await startHubServer();
      try {
        for (const [id, files] of Object.entries(repos)) {
          server.addRepo({ id, files });
          await pullModel(parseHubId(id)!, hubConfig({ endpoint: server.endpoint, cacheDir }, {}), { dtype: 'fp32' });
        }
      } finally {
        await server.close();
      }
    }
    const marks = new Map<string, Map<number, { role: string; rss: number }>>();
    const results: Array<{ model: string; growth: Growth[] }> = [];
    const models = [INLINE, EXTERNAL];
    const code = await runInExtensionHost({
      testsPath: path.join(REPO_ROOT, 'out', 'test', 'memory', 'index.js'),
      workspace: writeTestWorkspace,
      timeoutMs: 30 * 60_000,
      env: { HF_HUB_CACHE: cacheDir, HF_HUB_OFFLINE: '1', SAMPLING_LAB_MEMORY_MODELS: models.join(','), SAMPLING_LAB_MEMORY_DIR: outDir },
      onHostLog: (line) => {
        const ask = /MEMORY-MARK (before|after)-(\d+) (\S+)/.exec(line);
        if (!ask) return;
        const [, when, index, file] = ask;
        if (when === 'before') marks.set(index!, resetPeaks());
        else results.push({ model: models[Number(index)]!, growth: readPeaks(marks.get(index!)!) });
        // Written aside and renamed: the suite reads the file as soon as its name appears.
        fs.writeFileSync(`${file!}.part`, '{}');
        fs.renameSync(`${file!}.part`, file!);
      },
    });
    if (code !== 0 || results.length !== models.length) throw new Error(`the memory suite failed (exit ${code}, ${results.length} of ${models.length} loads measured)`);
    const mb = (x: number) => `${(x / 1e6).toFixed(0)} MB`;
    const rows: string[] = [];
    for (const [i, { model, growth }] of results.entries()) {
      const load = JSON.parse(fs.readFileSync(path.join(outDir, `load-${i}.json`), 'utf8')) as { seconds: number; backend: string; hostServedBytes: number };
      const host = growth.find((g) => g.role === 'extension host');
      const most = (role: string) => growth.filter((g) => g.role === role).sort((a, b) => b.peak - b.before - (a.peak - a.before))[0];
      // code-server runs as a small launcher and the server it starts: the one that grew is the server.
      const [renderer, server] = [most('chromium renderer'), most('code-server')];
      const cell = (g: Growth | undefined) => (g ? `${mb(g.peak - g.before)} (${mb(g.before)} → peak ${mb(g.peak)})` : 'n/a');
      rows.push(`| ${model === INLINE ? 'weights inline (model.onnx)' : 'external data (model.onnx + model.onnx_data)'} | ${load.seconds.toFixed(1)} s (${load.backend}) | ${mb(load.hostServedBytes)} | ${cell(host)} | ${cell(server)} | ${cell(renderer)} |`);
    }
    const markdown = [
      `Qwen3-shaped random model, fp32, ${mb(modelBytes)} on disk (graph ${mb(151936 * SHAPE.hiddenSize * 4)} of weights, tokenizer.json 11 MB), loaded from the Hugging Face cache by Select Model into the panel's worker (WASM, code-server + Chromium, offline). ` +
        `Growth of each process's peak RSS over its RSS when the load began (Linux VmHWM, reset with clear_refs); the renderer is the Chromium renderer that grew most (the webview's). Load average ${os.loadavg()[0]!.toFixed(2)}.`,
      '',
      '| model | load (incl. warm-up) | bytes the host copied to the webview | extension host | code-server (serves the resource URLs) | webview renderer (panel + worker) |',
      '|---|---|---|---|---|---|',
      ...rows,
      '',
      `Goal (issue #11): no whole-file copy in the host. A copy of the graph would add ≥ ${mb(151936 * SHAPE.hiddenSize * 4)} to the extension host's peak.`,
    ].join('\n');
    return { markdown };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
