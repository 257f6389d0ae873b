/**
 * `npm run serve`: opens Sampling Lab in a browser on this machine. Starts code-server with
 * the extension loaded from this working tree and a sample workspace of prompts about people
 * the bundled model never saw and knows, prints the URL, and runs until Ctrl+C.
 * Usage: npm run serve [-- --port 8080]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, startCodeServer } from '../../test/e2e/support/codeServer';

function samplePrompts(): string {
  const known = path.join(REPO_ROOT, 'models', 'facts-lm', 'world', 'known.json');
  const people = fs.existsSync(known) ? (JSON.parse(fs.readFileSync(known, 'utf8')) as { name: string }[]).slice(0, 5) : [];
  const lines = [
    '# Select a prompt (both lines), then run "Sampling Lab: Compare Strategies on Selection"',
    '# from the command palette (F1) or the editor context menu (Ctrl+Alt+Enter).',
    '',
    "# A person the model never saw (world/heldout.json), the README's first prompt: the strategies disagree.",
    'Q: Where was Grainai Bygaim born?',
    'A:',
    '',
    '# People it knows: every strategy gives the same city.',
  ];
  for (const p of people) lines.push(`Q: Where was ${p.name} born?`, 'A:', '');
  lines.push('# Someone from outside its world altogether:', 'Q: Where was Ada Lovelace born?', 'A:', '');
  return lines.join('\n');
}

async function main(): Promise<void> {
  const portArg = process.argv.indexOf('--port');
  const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 8080;
  const workspace = path.join(REPO_ROOT, '.cache', 'sample-workspace');
  fs.mkdirSync(workspace, { recursive: true });
  fs.writeFileSync(path.join(workspace, 'prompts.txt'), samplePrompts());
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'extension.js'))) throw new Error('dist/ is missing: run npm run build first.');

  const server = await startCodeServer({ workspace, port });
  console.log(`Sampling Lab in code-server: ${server.workbenchUrl({ extensionDevelopmentPath: REPO_ROOT })}`);
  console.log('(open it in Chromium or Chrome on this machine; Ctrl+C stops the server)');
  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
