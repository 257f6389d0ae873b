/**
 * Starts code-server (real VS Code 1.100, served to a browser) isolated in a throw-away run
 * folder, following shared/docs/vscode-e2e-offline.md: its own user data, extensions, XDG
 * folders and TMPDIR, so a test never reads or writes the home folder, and a process group we
 * can stop as a whole (signalling only the top PID leaves the extension host running).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** The repository root: the nearest folder above this (bundled) file holding our package.json. */
export const REPO_ROOT = findRepoRoot(__dirname);

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'sampling-lab') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no sampling-lab package.json above ${from}`);
  }
}

export function codeServerEntry(): string {
  const dir = process.env.SAMPLING_LAB_CODE_SERVER_DIR ?? path.join(REPO_ROOT, '.cache', 'code-server');
  const entry = path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (!fs.existsSync(entry)) {
    throw new Error(`code-server is not installed at ${entry}. Run tools/e2e/install-code-server.sh first.`);
  }
  return entry;
}

export interface CodeServerOptions {
  /** Folder opened in the workbench. */
  workspace: string;
  /** Extra user settings, merged over the quiet defaults below. */
  settings?: Record<string, unknown>;
  /** A .vsix installed into the run's extensions folder before the server starts. */
  installVsix?: string;
  /** Extra environment for the server and so for its extension host. */
  env?: Record<string, string>;
  /** A fixed port (default: a free one). */
  port?: number;
  /**
   * Turn Workspace Trust on (it is off by default here): the folder then opens in Restricted
   * Mode, without the startup prompt, as a folder nobody has trusted yet.
   */
  workspaceTrust?: boolean;
}

export interface CodeServer {
  readonly port: number;
  readonly runDir: string;
  /** The workbench URL; with a development path, the extension loads from the working tree. */
  workbenchUrl(load?: { extensionDevelopmentPath?: string; extensionTestsPath?: string }): string;
  /** The server's own output, for failure reports. */
  output(): string;
  stop(): Promise<void>;
}

const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'git.enabled': false,
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'update.mode': 'none',
  'security.workspace.trust.enabled': false,
  'chat.disableAIFeatures': true,
};

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const entry = codeServerEntry();
  // Short path: the extension host's IPC socket path must stay under 107 characters.
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-'));
  const dirs = {
    ud: path.join(runDir, 'ud'),
    ext: path.join(runDir, 'ext'),
    config: path.join(runDir, 'cfg'),
    data: path.join(runDir, 'data'),
    runtime: path.join(runDir, 'rt'),
    tmp: path.join(runDir, 'tmp'),
  };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.join(dirs.ud, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(dirs.ud, 'User', 'settings.json'),
    JSON.stringify(
      {
        ...QUIET_SETTINGS,
        ...(options.workspaceTrust ? { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' } : {}),
        ...options.settings,
      },
      null,
      2,
    ),
  );

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_RUNTIME_DIR: dirs.runtime,
    TMPDIR: dirs.tmp,
    ...options.env,
  };
  delete env.VSCODE_IPC_HOOK_CLI;

  const common = ['--user-data-dir', dirs.ud, '--extensions-dir', dirs.ext];
  if (options.installVsix) {
    const install = spawnSync(process.execPath, [entry, ...common, '--install-extension', options.installVsix], {
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (install.status !== 0) {
      throw new Error(`installing ${options.installVsix} failed:\n${install.stdout}\n${install.stderr}`);
    }
  }

  const port = options.port ?? (await freePort());
  const child = spawn(
    process.execPath,
    [
      entry,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      ...common,
      '--disable-telemetry',
      '--disable-update-check',
      ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
      '--disable-getting-started-override',
      '--ignore-last-opened',
      options.workspace,
    ],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);

  const server: CodeServer = {
    port,
    runDir,
    workbenchUrl(load = {}) {
      const payload: [string, string][] = [];
      // A file:// URI or a bare path here fails silently: it must name the remote authority.
      const remote = (p: string) => `vscode-remote://127.0.0.1:${port}${path.resolve(p)}`;
      if (load.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(load.extensionDevelopmentPath)]);
      if (load.extensionTestsPath) payload.push(['extensionTestsPath', remote(load.extensionTestsPath)]);
      let url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(path.resolve(options.workspace))}`;
      if (payload.length) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
      return url;
    },
    output: () => output,
    stop: () => stopGroup(child, runDir),
  };
  try {
    await waitHealthy(port, child, () => output);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

async function waitHealthy(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`code-server did not answer /healthz within 60 s:\n${output()}`);
}

/** SIGTERM the whole process group, wait for it to go, SIGKILL after 5 s; then remove the run folder. */
async function stopGroup(child: ChildProcess, runDir: string): Promise<void> {
  const pid = child.pid;
  if (pid !== undefined && groupAlive(pid)) {
    signalGroup(pid, 'SIGTERM');
    const deadline = Date.now() + 5_000;
    while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
    if (groupAlive(pid)) signalGroup(pid, 'SIGKILL');
    while (groupAlive(pid)) await sleep(100);
  }
  if (!process.env.SAMPLING_LAB_KEEP_RUN_DIR) fs.rmSync(runDir, { recursive: true, force: true });
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
