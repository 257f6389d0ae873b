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
});
