/**
 * `npm run bench`: every figure is a ratio of two things measured side by side in this run.
 * Prints the tables and rewrites BENCHMARKS.md.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { benchDecode } from './decode';
import { benchSampler } from './sampler';
import { benchStructured } from './structured';

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
  }
  if (want('structured')) {
    console.log('Constrained decoding: mask time per token and end-to-end speed…');
    const structured = await benchStructured();
    console.log(structured.markdown + '\n');
    sections.push('## Constrained decoding\n\n' + structured.markdown);
  }
  const header = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}.`,
    'Each ratio compares two measurements taken side by side, interleaved, in the same run.',
    '',
  ].join('\n');
  const file = path.resolve(__dirname, '..', 'BENCHMARKS.md');
  if (only.length === 0) fs.writeFileSync(file, header + sections.join('\n\n') + '\n');
  else console.log('(partial run: BENCHMARKS.md left as it was)');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
