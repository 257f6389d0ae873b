/**
 * `sampling-lab`: the main job from a terminal. Errors print one line naming the problem and
 * the fix, and exit non-zero; a stack trace is never the only output.
 */
import * as fs from 'node:fs';
import { checkPromptText } from '../core/decode/compare';
import type { Engine } from '../core/engine/types';
import { openCliEngine } from './loadModel';
import { models } from './models';
import { anatomy } from './anatomy';
import { explore } from './explore';
import { parseCompareArgs, UsageError, USAGE, type CompareArgs } from './args';
import { json } from './json';
import { compareResultJson } from '../core/export/runExport';
import { prefs } from './prefs';
import { risk } from './risk';
import { renderTable } from './table';
import { test } from './test';

async function readPrompt(args: CompareArgs): Promise<string> {
  if (args.prompt !== undefined && args.file !== undefined) throw new UsageError('Give the prompt as an argument or with --file, not both.');
  if (args.prompt !== undefined) return args.prompt;
  if (args.file !== undefined) {
    if (!fs.existsSync(args.file)) throw new UsageError(`--file: ${args.file} does not exist.`);
    return fs.readFileSync(args.file, 'utf8');
  }
  if (process.stdin.isTTY) throw new UsageError(`No prompt given.\n\n${USAGE}`);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The last line of a table that Ctrl-C cut short: completions end where decoding stopped. */
export const PARTIAL_NOTICE = 'Interrupted (Ctrl-C): completions stop where decoding was cut off; these results are partial.';

async function compare(argv: string[]): Promise<number> {
  const args = parseCompareArgs(argv);
  if (args === 'help') {
    console.log(USAGE);
    return 0;
  }
  const prompt = await readPrompt(args);
  checkPromptText(prompt);
  // Ctrl-C is caught from before the model loads: pressed during the load, it stops the run as
  // soon as decoding starts, with the (empty) partial results. A second Ctrl-C ends the process.
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  let engine: Engine;
  try {
    // A local model goes through the same seam as a server: the registry's local engine.
    engine = await openCliEngine(args, args.json, abort.signal);
  } catch (e) {
    process.off('SIGINT', onSigint);
    throw e;
  }
  try {
    const result = await engine.compare(prompt, args.strategies, {
      maxNewTokens: args.maxNewTokens,
      seed: args.seed,
      samples: args.samples,
      stopStrings: args.stopStrings,
      batch: args.batch,
      signal: abort.signal,
      // The local model was wrapped in its prompt format when loaded; a server gets it with the request.
      format: args.endpoint ? { chat: args.format.chat === true, system: args.format.system } : undefined,
    });
    const interrupted = abort.signal.aborted;
    if (args.json) console.log(compareResultJson(result, interrupted));
    else console.log(renderTable(result) + (interrupted ? `\n${PARTIAL_NOTICE}` : ''));
    return interrupted ? 130 : 0;
  } finally {
    process.off('SIGINT', onSigint);
    await engine.dispose();
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'compare':
        return await compare(rest);
      case 'json':
        return await json(rest);
      case 'anatomy':
        return await anatomy(rest);
      case 'explore':
        return await explore(rest);
      case 'test':
        return await test(rest);
      case 'prefs':
        return await prefs(rest);
      case 'risk':
        return await risk(rest);
      case 'models':
        return await models(rest);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        // `sampling-lab "<prompt>"` is short for compare.
        if (!command.startsWith('-') || rest.length > 0) return await compare(argv);
        throw new UsageError(`Unknown command "${command}".\n\n${USAGE}`);
    }
  } catch (e) {
    const err = e as Error;
    process.stderr.write(`sampling-lab: ${err.message}\n`);
    if (process.env.SAMPLING_LAB_DEBUG) process.stderr.write(`${err.stack}\n`);
    return e instanceof UsageError || err.name === 'StrategyError' || err.name === 'PromptError' || err.name === 'SamplingConfigError' || err.name === 'SchemaError' || err.name === 'DtypeError' || err.name === 'CalibrationSetError' ? 2 : 1;
  }
}

if (require.main === module) {
  // exitCode, not process.exit(): exit() would drop what a pipe has not taken yet (`| jq`, a slow
  // reader), while a process left to end on its own first writes out stdout and stderr.
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
