/**
 * `npm run test:load`: the extension-host and E2E suites, twice in a row, while a CPU hog keeps
 * every core busy (one spinning process per core, started and stopped here). Tests that wait on
 * timers instead of events fail like this; 0 failures is the bar. Writes the wall times to
 * BENCHMARKS.md's "Under load" section. Not part of `npm test` (it takes the better part of an hour).
 *
 *   npm run test:load [-- --rounds N] [-- --suites extension,e2e]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeSection } from './benchmarksFile';

const ROOT = path.resolve(__dirname, '..', '..');
const COUNTS = path.join(ROOT, 'test-results', 'counts');

interface Args {
  rounds: number;
  suites: string[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { rounds: 2, suites: ['extension', 'e2e'] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--rounds' && value && /^[1-9]\d*$/.test(value)) args.rounds = Number(argv[++i]);
    else if (flag === '--suites' && value) args.suites = argv[++i]!.split(',').filter(Boolean);
    else throw new Error(`test:load: unknown or incomplete flag ${flag}. Use --rounds N (N ≥ 1) and --suites extension,e2e.`);
  }
  return args;
}

/** One busy loop per core, in processes of their own, so the tests compete for every core. */
function startHog(): ChildProcess[] {
  const cores = Math.max(2, os.cpus().length);
  return Array.from({ length: cores }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

function stopHog(hog: ChildProcess[]): void {
  for (const p of hog) if (p.exitCode === null) p.kill('SIGKILL');
}

interface Result {
  round: number;
  suite: string;
  passed: number;
  failed: number;
  wallS: number;
}

function runSuite(round: number, suite: string): Result {
  console.log(`\n=== test:load round ${round}: ${suite} (load average ${os.loadavg()[0]!.toFixed(1)})`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [path.join(ROOT, 'tools', 'test', 'run-all.js'), suite], { cwd: ROOT, stdio: 'inherit' });
  const wallS = (Date.now() - started) / 1000;
  const file = path.join(COUNTS, `${suite}.json`);
  // A suite that reports nothing (a crashed harness) counts as one failure, as in `npm test`.
  const counts = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { passed: number; failed: number }) : { passed: 0, failed: 1 };
  if (r.status !== 0 && counts.failed === 0) counts.failed = 1;
  return { round, suite, passed: counts.passed, failed: counts.failed, wallS };
}

function main(): number {
  const args = parseArgs(process.argv.slice(2));
  const hog = startHog();
  const stop = () => stopHog(hog);
  process.on('exit', stop);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stop();
      process.exit(130);
    });
  }
  const loadBefore = os.loadavg()[0]!;
  const results: Result[] = [];
  try {
    for (let round = 1; round <= args.rounds; round++) for (const suite of args.suites) results.push(runSuite(round, suite));
  } finally {
    stop();
  }
  const failed = results.reduce((n, r) => n + r.failed, 0);
  const rows = results.map((r) => `| ${r.round} | ${r.suite} | ${r.passed} | ${r.failed} | ${r.wallS.toFixed(0)} |`);
  const markdown = [
    '## Under load (`npm run test:load`)',
    '',
    `Run on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ` +
      `with ${hog.length} busy-loop processes started by the script (one per core, at least 2); load average ${loadBefore.toFixed(1)} at the start. ` +
      `The bar is 0 failures. Wall times include starting code-server and Chromium.`,
    '',
    '| round | suite | passed | failed | wall s |',
    '| ---: | --- | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
  writeSection('load', markdown);
  console.log(`\n${markdown}\n`);
  console.log(`test:load: ${failed === 0 ? 'no failures' : `${failed} failed`}`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = main();
