/**
 * Loads the model a command names, reporting a hub download on stderr: a progress bar that redraws
 * one line on a terminal, plain lines (one per file, and every 10 %) when stderr is a pipe or file.
 * Ctrl+C during a download cancels it (the partial file is kept for the next pull to resume).
 */
import type { Engine } from '../core/engine/types';
import type { DtypeChoice } from '../core/model/hubModel';
import type { ThreadsChoice } from '../core/model/threads';
import { withPromptFormat, type PromptFormat } from '../core/model/promptFormat';
import type { CausalLM } from '../core/model/types';
import type { PullProgress } from '../node/hub/pullModel';
import { isGgufPath, loadGgufModel } from '../node/engines/llamacpp/llamaCppModel';
import { createEngine } from '../node/engines';
import { loadNodeModel, type NodeDevice } from '../node/loadNodeModel';
import { openEndpoint, type EndpointArgs } from './endpoint';
import { UsageError } from './usageError';

export interface CliModelArgs {
  model?: string;
  device: NodeDevice;
  dtype: DtypeChoice;
  /** --threads (default auto). */
  threads?: ThreadsChoice;
  /** Raw or chat (undefined: chat when the model has a template), and the system message. */
  format?: PromptFormat;
}

export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 2 : 1)} ${units[i]}`;
}

/** "45% 12.3 MB / 27.1 MB, 5.20 MB/s, onnx/model_quantized.onnx (2 of 5 files)" */
export function describeProgress(p: PullProgress): string {
  const pct = p.total > 0 ? Math.floor((100 * p.bytes) / p.total) : 100;
  return `${pct}% ${formatBytes(p.bytes)} / ${formatBytes(p.total)}, ${formatBytes(p.bytesPerSecond)}/s, ${p.file} (${Math.min(p.filesDone + 1, p.files)} of ${p.files} files)`;
}

/** A progress reporter for `stream`: a redrawn bar on a TTY, otherwise plain lines at each file and each 10 %. */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr): { update(p: PullProgress): void; done(): void } {
  const tty = stream.isTTY === true;
  let lastDraw = 0;
  let lastDecile = -1;
  let lastFiles = -1;
  let drawn = false;
  return {
    update(p) {
      if (tty) {
        const now = Date.now();
        if (now - lastDraw < 100 && p.bytes < p.total) return;
        lastDraw = now;
        const width = 24;
        const filled = p.total > 0 ? Math.round((width * p.bytes) / p.total) : width;
        stream.write(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${describeProgress(p)}`);
        drawn = true;
        return;
      }
      const decile = p.total > 0 ? Math.floor((10 * p.bytes) / p.total) : 10;
      if (decile !== lastDecile || p.filesDone !== lastFiles) {
        lastDecile = decile;
        lastFiles = p.filesDone;
        stream.write(`download: ${describeProgress(p)}\n`);
      }
    },
    done() {
      if (tty && drawn) stream.write('\n');
    },
  };
}

/** loadNodeModel with the download shown and cancellable; `quiet` (--json) still shows the download on stderr. */
export async function loadCliModel(args: CliModelArgs, quiet = false): Promise<CausalLM> {
  if (isGgufPath(args.model)) return loadCliGguf(args, args.model, quiet);
  if (!quiet) process.stderr.write(`Loading model ${args.model ?? 'facts-lm'} on ${args.device}…\n`);
  const progress = progressReporter();
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const model = await loadNodeModel({ model: args.model, device: args.device, dtype: args.dtype, threads: args.threads, onLog: quiet ? undefined : (line) => process.stderr.write(`${line}\n`), signal: abort.signal, onDownload: (p) => progress.update(p) });
    return withPromptFormat(model, args.format ?? {});
  } finally {
    progress.done();
    process.off('SIGINT', onSigint);
  }
}

/** A .gguf --model runs on llama.cpp (CPU); --device wasm and --dtype name ONNX files, so they are refused here. */
async function loadCliGguf(args: CliModelArgs, file: string, quiet: boolean): Promise<CausalLM> {
  if (args.device !== 'cpu') throw new UsageError(`A .gguf model runs on llama.cpp on the CPU; drop --device ${args.device}.`);
  if (args.dtype !== 'auto') throw new UsageError(`--dtype picks an ONNX file; a .gguf file carries its own quantization (convert to Q8_0 or Q4_0 with tools/model/gguf.py or llama-quantize). Drop --dtype ${args.dtype}.`);
  if (!quiet) process.stderr.write(`Loading ${file} with llama.cpp…\n`);
  const model = await loadGgufModel({ file, threads: args.threads, onLog: quiet ? undefined : (line) => process.stderr.write(`${line}\n`) });
  return withPromptFormat(model, args.format ?? {});
}

/**
 * The engine a command runs on: a server (--endpoint, the server's model id in --model), else the
 * model --model names loaded here (a .gguf file through llama.cpp, anything else through
 * onnxruntime). The one place the CLI chooses; commands take the Engine and ask its capabilities.
 */
export async function openCliEngine(args: CliModelArgs & { endpoint?: EndpointArgs }, quiet: boolean, signal: AbortSignal, mask: { strictProperties?: boolean } = {}): Promise<Engine> {
  if (args.endpoint) return openEndpoint(args.endpoint, args.model, signal);
  const gguf = isGgufPath(args.model);
  return createEngine({ kind: gguf ? 'llamacpp' : 'local', causalLM: await loadCliModel(args, quiet), ...(gguf ? { file: args.model } : { model: args.model }), ...mask });
}
