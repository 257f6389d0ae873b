/** Runs the built CLI (dist/cli.js) without blocking this process, which may be serving its requests (the OpenAI-compatible test server). */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { REPO } from './model';

export const CLI = path.join(REPO, 'dist', 'cli.js');

export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // No key from the developer's environment reaches a test server unless a test sets one.
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? REPO, env: { ...process.env, OPENAI_API_KEY: '', ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
