/**
 * `npm run bench`: every figure is a ratio of two things measured side by side in this run.
 * Prints the tables and rewrites BENCHMARKS.md.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ownedSections } from '../tools/test/benchmarksFile';
import { benchDecode } from './decode';
import { benchRegex } from './regex';
import { benchJsonSchemaBenchStandalone } from './jsonschemabench';
import { benchSampler } from './sampler';
import { benchStructured } from './structured';
import { benchHub } from './hub';
import { benchMemory } from './memory';
import { benchSpeed } from './speed';
import { benchRemote } from './remote';

async function main() {
  const only = process.argv.slice(2);
  const want = (name: string) => only.length === 0 || only.includes(name);
  const sections: string[] = [];
  if (want('sampler')) {
    console.log('Sampler chain cost per token (vocabulary 151,936)…');
    const sampler = await benchSampler();
    console.log(sampler.markdown + '\n');
    sections.push('## Sampler chain cost per token\n\n' + sampler.markdown);
  }
  if (want('decode')) {
    console.log('Decode loop on the bundled model…');
    const decode = await benchDecode();
    console.log(decode.markdown + '\n');
    sections.push('## Decode loop\n\n' + decode.markdown);
    const smol = benchModelFolder(console.log);
    if (smol.folder) {
      const shaped = await benchDecode({ label: 'random weights, SmolLM2-135M layer shapes (107 M parameters)', model: smol.folder, newTokens: 32, repeats: 3 });
      console.log(shaped.markdown + '\n');
      sections.push(
        'The bundled model is so small that per-step overheads, not weights, set its batching cost. The same loop on a ' +
          'model with a real small LM\'s layer shapes (random weights: speed does not depend on their values; built by ' +
          '`tools/model/export_bench_model.py`, not committed):\n\n' + shaped.markdown,
      );
    } else sections.push(`(SmolLM2-shaped model not measured: ${smol.why})`);
  }
  if (want('speed')) {
    console.log('Speed at real size: fp32 / q8 / q4 beside the bandwidth floor…');
    const smol = benchModelFolder(console.log);
    if (smol.folder) {
      const speed = await benchSpeed({ folder: smol.folder, label: 'random weights, SmolLM2-135M layer shapes (107 M parameters)', threads: process.env.SAMPLING_LAB_BENCH_THREADS ?? '1' });
      console.log(speed.markdown + '\n');
      sections.push('## Speed at real size\n\n' + speed.markdown);
    } else sections.push(`## Speed at real size\n\n(not measured: ${smol.why})`);
  }
  if (want('structured')) {
    console.log('Constrained decoding: mask time per token and end-to-end speed…');
    const structured = await benchStructured();
    console.log(structured.markdown + '\n');
    sections.push('## Constrained decoding\n\n' + structured.markdown);
  }
  if (want('regex')) {
    console.log('Regex engines for suite patterns…');
    const regex = await benchRegex();
    console.log(regex.markdown + '\n');
    sections.push('## Regex engines for suite patterns\n\n' + regex.markdown);
  }
  if (want('jsonschemabench')) {
    console.log('Structured output on real-world schemas (JSONSchemaBench sample)…');
    const real = await benchJsonSchemaBenchStandalone();
    console.log(real.markdown + '\n');
    sections.push('## Structured output on real-world schemas (JSONSchemaBench)\n\n' + real.markdown);
  }
  if (want('hub')) {
    console.log('Hub models: download throughput, load from the cache, first token…');
    const hub = await benchHub();
    console.log(hub.markdown + '\n');
    sections.push('## Hub models\n\n' + hub.markdown);
  }
  if (want('memory')) {
    console.log('Peak memory while a ~400 MB model loads into the panel (code-server + Chromium)…');
    const memory = await benchMemory();
    console.log(memory.markdown + '\n');
    sections.push('## Peak memory while a large model loads\n\n' + memory.markdown);
  }
  if (want('remote')) {
    console.log('Prompt-test suite throughput against a server, by concurrency…');
    const remote = await benchRemote();
    console.log(remote.markdown + '\n');
    sections.push('## Suite throughput against a server\n\n' + remote.markdown);
  }
  const header = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}.`,
    'Each ratio compares two measurements taken side by side, interleaved, in the same run.',
    '',
  ].join('\n');
  const file = path.resolve(__dirname, '..', 'BENCHMARKS.md');
  // The load and soak figures are other scripts' sections: keep them.
  const kept = fs.existsSync(file) ? ownedSections(fs.readFileSync(file, 'utf8')) : '';
  if (only.length === 0) fs.writeFileSync(file, header + sections.join('\n\n') + '\n' + (kept ? `\n${kept}\n` : ''));
  else {
    // A partial run replaces only its own sections (by their "## " title), or appends them.
    let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : header;
    for (const section of sections) {
      const title = section.slice(0, section.indexOf('\n'));
      const at = text.indexOf(`${title}\n`);
      if (at < 0) text = `${text.trimEnd()}\n\n${section}\n`;
      else {
        const next = text.indexOf('\n## ', at + title.length);
        text = text.slice(0, at) + section + (next < 0 ? '\n' : `\n${text.slice(next)}`);
      }
    }
    fs.writeFileSync(file, text);
    console.log(`(partial run: only ${only.join(', ')} updated in BENCHMARKS.md)`);
  }
}

/** The random-weight SmolLM2-shaped model, exported with Debian's PyTorch on first use. */
function benchModelFolder(log: (line: string) => void): { folder?: string; why?: string } {
  const folder = path.resolve(__dirname, '..', 'tools', 'model', 'work', 'bench-smol');
  const has = (file: string) => fs.existsSync(path.join(folder, 'onnx', file));
  if (has('model.onnx') && has('model_quantized.onnx') && has('model_q4.onnx')) return { folder };
  log('Exporting the SmolLM2-shaped benchmark model (needs Debian python3-torch)…');
  const r = spawnSync('/usr/bin/python3', ['export_bench_model.py'], {
    cwd: path.resolve(__dirname, '..', 'tools', 'model'),
    stdio: 'inherit',
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
  });
  return r.status === 0 ? { folder } : { why: 'tools/model/export_bench_model.py failed (apt-get install python3-torch python3-onnx)' };
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
