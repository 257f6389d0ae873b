/**
 * The built CLI against careless and hostile use (issue 12): output through a slow pipe, runaway
 * regexes in a suite, Ctrl-C mid-run, files a suite names outside the workspace, deep schemas.
 * Each test waits on the child's own events (its output, its exit), never on a timer.
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO } from '../support/model';

const CLI = path.join(REPO, 'dist', 'cli.js');

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs the CLI with stdout read by a slow consumer: at most `chunk` bytes per turn of the event
 * loop, and only when the stream says there is data. Everything the child writes after the pipe
 * fills must wait for this reader, which is what a process that exits too early loses.
 */
function runThroughSlowReader(args: string[], options: { cwd?: string; chunk?: number } = {}): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunk = options.chunk ?? 4096;
  const out: Buffer[] = [];
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let pumping = false;
  const pump = () => {
    const piece = (child.stdout!.read(chunk) as Buffer | null) ?? (child.stdout!.read() as Buffer | null);
    if (piece === null) {
      pumping = false;
      return;
    }
    out.push(piece);
    setImmediate(pump);
  };
  child.stdout!.on('readable', () => {
    if (!pumping) {
      pumping = true;
      pump();
    }
  });
  const done = new Promise<Finished>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr })),
  );
  return { child, done };
}

describe('hardening: the CLI', function () {
  this.timeout(300_000);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-hardening-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('hardening: compare --json writes all of its output (> 1 MB) through a slow pipe, then exits 0', async () => {
    // Temperature 5 keeps every sample going to --max-tokens, so the JSON is well over 1 MB.
    const { done } = runThroughSlowReader(['compare', '--json', '--samples', '16', '--strategies', 'temperature', '--temperature', '5', '--max-tokens', '64', 'Q: Where was Kawe Steiga born?\nA:']);
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.length > 1024 * 1024, `only ${r.stdout.length} bytes came through`);
    const text = r.stdout.toString('utf8');
    // Every byte: the text is exactly what the CLI prints for the value it parses to.
    assert.equal(text, `${JSON.stringify(JSON.parse(text), null, 2)}\n`);
    assert.equal(JSON.parse(text).results[0].completions.length, 16);
  });

  it('hardening: explore --json (another subcommand, > 256 KB) comes through a slow pipe whole, then exits 0', async () => {
    // Item 1 said every subcommand lost its tail; explore with 1,000 tokens and the sweep prints about 375 KB.
    const { done } = runThroughSlowReader(['explore', '--json', '--top', '1000', '--sweep', 'Q: Where was Kawe Steiga born?\nA:']);
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.length > 256 * 1024, `only ${r.stdout.length} bytes came through`);
    const text = r.stdout.toString('utf8');
    assert.equal(text, `${JSON.stringify(JSON.parse(text), null, 2)}\n`);
  });

  it('hardening: a ReDoS regex in a suite fails its case fast; Ctrl-C then stops the run promptly with partial results marked', async () => {
    // ^(.|.)*XYZ$ backtracks 2^n times on any n-character output without XYZ: decades on a
    // sentence for a backtracking engine. The second case is long (64 runs of 256 tokens), so
    // the run is still going when Ctrl-C comes.
    fs.writeFileSync(
      path.join(dir, 'redos.prompttest.yaml'),
      [
        'cases:',
        '  - name: redos',
        '    prompt: "Q: Where was Kawe Steiga born?\\nA:"',
        '    settings: { kind: temperature, temperature: 5 }',
        '    max_tokens: 64',
        '    assert:',
        '      - type: regex',
        '        value: "^(.|.)*XYZ$"',
        '  - name: long',
        '    prompt: "Q: Where was Kawe Steiga born?\\nA:"',
        '    settings: { kind: temperature, temperature: 5 }',
        '    repeat: 64',
        '    max_tokens: 256',
        '    assert:',
        '      - type: contains',
        '        value: x',
        '',
      ].join('\n'),
    );
    const { child, done } = runThroughSlowReader(['test', '--no-cache', '--junit', 'out.xml'], { cwd: dir });
    // Ctrl-C once the first case's verdict is out (the stream's own event, not a timer).
    let seen = '';
    await new Promise<void>((resolve) => {
      const onData = (d: Buffer) => {
        seen += d.toString('utf8');
        if (/✗ redos/.test(seen)) {
          child.stdout!.off('data', onData);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
    });
    const sent = performance.now();
    child.kill('SIGINT');
    const r = await done;
    const afterSigintMs = performance.now() - sent;
    const out = seen + r.stdout.toString('utf8');
    assert.equal(r.code, 130, r.stderr);
    assert.ok(afterSigintMs < 10_000, `took ${afterSigintMs} ms to stop after Ctrl-C`);
    assert.match(out, /✗ redos — 0\/1 runs passed/);
    const got = /expected the output to match \/\^\(\.\|\.\)\*XYZ\$\/; got "(.*)"/.exec(out);
    assert.ok(got && got[1]!.length > 60, `the output must be long enough to hang a backtracking engine: ${got?.[1]}`);
    assert.doesNotMatch(out, /✓ long|✗ long/);
    assert.match(out, /Interrupted \(Ctrl-C\): 1 of 2 cases ran; these results are partial\./);
    assert.match(fs.readFileSync(path.join(dir, 'out.xml'), 'utf8'), /<testcase name="redos"/);
  });

  it('hardening: a compare table cut short by Ctrl-C says its results are partial', async () => {
    const { child, done } = runThroughSlowReader(['compare', '--samples', '64', '--strategies', 'temperature', '--temperature', '5', '--max-tokens', '512', 'Q: Where was Kawe Steiga born?\nA:']);
    // The CLI announces the model load on stderr; Ctrl-C from then on must stop the run.
    await new Promise<void>((resolve) => child.stderr!.on('data', (d: Buffer) => /Loading model/.test(String(d)) && resolve()));
    child.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stdout.toString('utf8'), /Interrupted \(Ctrl-C\): completions stop where decoding was cut off; these results are partial\.\n$/);
  });

  it('hardening: a suite with a 3,000-deep schema and a prompt_file outside the folder fails alone; the other suite runs', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-outside-'));
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'TOP-SECRET-PROMPT');
    fs.writeFileSync(path.join(dir, 'deep.schema.json'), `${'{"type":"object","properties":{"a":'.repeat(3000)}{"type":"string"}${'}}'.repeat(3000)}`);
    fs.writeFileSync(path.join(dir, 'bad.prompttest.yaml'), [
      'cases:',
      '  - name: deep', '    prompt: "Q: Where was Kawe Steiga born?\\nA:"', '    assert:', '      - type: json-schema', '        schema_file: deep.schema.json',
      '  - name: outside', `    prompt_file: ${JSON.stringify(path.join(outside, 'secret.txt'))}`, '    assert:', '      - type: contains', '        value: x',
      '',
    ].join('\n'));
    fs.writeFileSync(path.join(dir, 'good.prompttest.yaml'), ['cases:', '  - name: good', '    prompt: "Q: Where was Kawe Steiga born?\\nA:"', '    max_tokens: 8', '    assert:', '      - type: max-tokens', '        value: 8', ''].join('\n'));
    try {
      const { done } = runThroughSlowReader(['test', '--no-cache'], { cwd: dir });
      const r = await done;
      const out = r.stdout.toString('utf8');
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /bad\.prompttest\.yaml:6:\d+: deep\.schema\.json nests more than 256 levels deep/);
      assert.match(r.stderr, /bad\.prompttest\.yaml:8:\d+: prompt_file ".*secret\.txt" is outside the workspace/);
      assert.doesNotMatch(r.stderr + out, /TOP-SECRET|Maximum call stack/);
      assert.match(out, /✓ good — 1\/1 runs passed/);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('hardening: json with {"$ref":"#"} is refused before the model loads, naming the loop', async () => {
    fs.writeFileSync(path.join(dir, 'loop.schema.json'), '{"$ref":"#"}');
    const { done } = runThroughSlowReader(['json', '--schema', 'loop.schema.json', 'JSON for Kawe Steiga:\n'], { cwd: dir });
    const r = await done;
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /loop\.schema\.json refers to itself without end/);
    assert.doesNotMatch(r.stderr, /Loading model/);
  });

  it('hardening: --model .. is the folder above the current one, never the package root', async () => {
    const { done } = runThroughSlowReader(['compare', '--model', '..', 'hi'], { cwd: dir });
    const r = await done;
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`The model folder ${path.dirname(dir).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} has no config\\.json`));
  });
});
