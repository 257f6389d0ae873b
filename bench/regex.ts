/**
 * Regex engines for patterns a repository ships (prompt test `regex` assertions), measured side
 * by side, interleaved: V8's RegExp (backtracking: the baseline to beat on safety, not speed),
 * re2js (RE2 ported to JavaScript, what Sampling Lab uses) and re2-wasm (RE2 compiled to WASM).
 * The native `re2` addon is not measured: it has no prebuilt binary reachable here, its source
 * build takes minutes, and a native addon would need one build per platform and Electron ABI
 * inside the .vsix.
 * Runs alone: npm run bench regex
 */
import { spawnSync } from 'node:child_process';
import { RE2JS } from 're2js';

// re2-wasm is a devDependency, loaded only here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { RE2: RE2Wasm } = require('re2-wasm') as { RE2: new (pattern: string, flags: string) => { test(text: string): boolean } };

const ANSWER = ' Kawe Steiga was born in Belcastro, a town on the coast of Merrow, and studied law at Jorvale. '.repeat(2);
const BENIGN = '\\b(Belcastro|Jorvale)\\b';
const HOSTILE = '^(.|\\s)*\\d$';
const ROUNDS = 9;

interface Engine {
  name: string;
  compile(pattern: string, flags: string): { test(text: string): boolean };
}

const ENGINES: Engine[] = [
  { name: 'RegExp (V8, backtracking)', compile: (p, f) => new RegExp(p, f) },
  { name: 're2js', compile: (p, f) => RE2JS.compile(RE2JS.translateRegExp(p), f.includes('i') ? RE2JS.CASE_INSENSITIVE : 0) },
  { name: 're2-wasm', compile: (p, f) => new RE2Wasm(p, `${f}u`) },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** µs per call of `fn`, median over interleaved rounds of `n` calls. */
function timeRounds(fns: Array<() => unknown>, n: number): number[][] {
  const rounds: number[][] = fns.map(() => []);
  for (const fn of fns) fn();
  for (let r = 0; r < ROUNDS; r++) {
    fns.forEach((fn, i) => {
      const start = process.hrtime.bigint();
      for (let k = 0; k < n; k++) fn();
      rounds[i]!.push(Number(process.hrtime.bigint() - start) / 1e3 / n);
    });
  }
  return rounds;
}

const fmt = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${us.toFixed(us < 10 ? 2 : 1)} µs`);

/** How many patterns re2-wasm compiles before its fixed 16 MB heap aborts the process (in a child, since it does abort). */
function wasmCompilesBeforeAbort(): string {
  const script = `const { RE2 } = require('re2-wasm'); let n = 0; try { for (; n < 200000; n++) new RE2(${JSON.stringify(BENIGN)}, 'iu'); } catch {} console.log(n);`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 120_000 });
  const n = Number(r.stdout.trim().split('\n').pop());
  return Number.isFinite(n) && n > 0 ? `${n.toLocaleString('en')}${n >= 200000 ? '+' : ''}` : `aborted (${r.status ?? r.signal})`;
}

export async function benchRegex(): Promise<{ markdown: string }> {
  const compileAndTest = timeRounds(ENGINES.map((e) => () => e.compile(BENIGN, 'i').test(ANSWER)), 40);
  const compiled = ENGINES.map((e) => e.compile(BENIGN, 'i'));
  const testOnly = timeRounds(compiled.map((re) => () => re.test(ANSWER)), 300);
  const hostile = ENGINES.map((e) => e.compile(HOSTILE, ''));
  // The backtracking engine doubles per space; 22 spaces is as far as a benchmark can wait.
  const hostileShort = timeRounds(hostile.map((re) => () => re.test(' '.repeat(22))), 1);
  const long = ' '.repeat(100_000);
  const hostileLong = timeRounds(hostile.slice(1).map((re) => () => re.test(long)), 1);
  const base = (rows: number[][]) => median(rows[0]!);

  const lines = [
    `Benign: \`/${BENIGN}/i\` on a ${ANSWER.length}-character answer. Hostile: \`/${HOSTILE}/\` on spaces, which makes a backtracking engine double its work per character. Median of ${ROUNDS} interleaved rounds; × is against RegExp.`,
    '',
    '| engine | compile + test (benign) | × | test, compiled once (benign) | × | hostile, 22 spaces | hostile, 100,000 spaces |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...ENGINES.map((e, i) => {
      const a = median(compileAndTest[i]!);
      const b = median(testOnly[i]!);
      const longCell = i === 0 ? 'never ends (2^100000 steps)' : fmt(median(hostileLong[i - 1]!));
      return `| ${e.name} | ${fmt(a)} | ${(a / base(compileAndTest)).toFixed(1)} | ${fmt(b)} | ${(b / base(testOnly)).toFixed(1)} | ${fmt(median(hostileShort[i]!))} | ${longCell} |`;
    }),
    '',
    `re2-wasm has a fixed 16 MB heap and never frees a compiled pattern: it aborted the process after ${wasmCompilesBeforeAbort()} compiles here, and it needs the \`u\` flag and a synchronous WASM load. ` +
      're2js is pure JavaScript (runs in the CLI, the extension host and a webview alike), is the faster RE2 on short answers, and is linear-time: **Sampling Lab uses re2js** for suite regexes. ' +
      'A pattern is compiled once per assertion, so the compile cost is paid once per suite, not per run. ' +
      'The native `re2` addon was not measured: no prebuilt binary is reachable here, its source build ran past 4 minutes on two cores, and a native addon would need a build per platform and Electron ABI in the .vsix.',
  ];
  return { markdown: lines.join('\n') };
}

if (require.main === module) {
  void benchRegex().then((r) => console.log(r.markdown));
}
