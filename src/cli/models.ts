/**
 * `sampling-lab models list | pull | rm`: the Hugging Face cache as Sampling Lab (and Python's
 * huggingface_hub) share it. Pull shows a progress bar on a terminal and plain lines otherwise.
 */
import * as path from 'node:path';
import { formatHubId, parseHubId, type HubId } from '../core/model/hubModel';
import { hubConfig } from '../node/hub/hubConfig';
import { listCachedModels, removeCachedModel } from '../node/hub/hubCache';
import { pullModel } from '../node/hub/pullModel';
import { defaultGgufRoots, findGgufFiles } from '../node/engines/llamacpp/ggufFiles';
import { deviceFlag, dtypeFlag, parseFlags } from './flags';
import { formatBytes, progressReporter } from './loadModel';
import { UsageError } from './usageError';

export const MODELS_USAGE = `Usage: sampling-lab models list [--json]
       sampling-lab models pull <owner/name[@revision]> [--dtype T] [--device D]
       sampling-lab models rm <owner/name>
       sampling-lab models gguf [FOLDER...] [--json]

Lists, downloads and removes hub models in the Hugging Face cache (shared with Python tools):
$HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. A pull fetches only the files
the dtype needs, resumes an interrupted download, and checks every file's size and hash.

models gguf lists the GGUF files LM Studio (~/.lmstudio/models) and Ollama ($OLLAMA_MODELS, else
~/.ollama/models) already hold, and those under each FOLDER, read-only; give one to --model.

Environment: HF_ENDPOINT (a mirror), HF_TOKEN (gated models), HF_HUB_OFFLINE=1 (cache only),
HTTPS_PROXY / NO_PROXY.

Options:
  --dtype T     auto, fp32, fp16, q8, q4, q4f16 (default auto: q8 when the repository has it)
  --device D    cpu or wasm, the device dtype auto chooses for (default cpu)
  --json        machine-readable list
  -h, --help    this help`;

function hubIdArgument(positionals: readonly string[]): HubId {
  const text = positionals[0];
  if (text === undefined) throw new UsageError(`Name the model, e.g. HuggingFaceTB/SmolLM2-135M-Instruct.\n\n${MODELS_USAGE}`);
  const id = parseHubId(text);
  if (!id || positionals.length > 1) throw new UsageError(`"${positionals.join(' ')}" is not a hub id; use owner/name or owner/name@revision.`);
  return id;
}

export async function models(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const parsed = parseFlags(rest, { dtype: { type: 'string' }, device: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, MODELS_USAGE);
  const v = parsed.values;
  if (v.help || sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    console.log(MODELS_USAGE);
    return sub === undefined ? 2 : 0;
  }
  const config = hubConfig();
  switch (sub) {
    case 'list': {
      const cached = listCachedModels(config.cacheDir);
      if (v.json) {
        console.log(JSON.stringify({ cacheDir: config.cacheDir, models: cached }, null, 2));
        return 0;
      }
      console.log(`Hugging Face cache: ${config.cacheDir}`);
      if (cached.length === 0) console.log('No models yet. Pull one: sampling-lab models pull HuggingFaceTB/SmolLM2-135M-Instruct');
      for (const m of cached) {
        for (const s of m.snapshots) {
          const refs = s.refs.length > 0 ? s.refs.join(', ') : 'no ref';
          console.log(`${m.repo}  ${s.commit.slice(0, 10)} (${refs})  ${s.dtypes.join(', ') || 'no complete weights'}  ${formatBytes(m.sizeOnDisk)}`);
        }
      }
      return 0;
    }
    case 'pull': {
      const id = hubIdArgument(parsed.positionals);
      const progress = progressReporter();
      const abort = new AbortController();
      const onSigint = () => abort.abort();
      process.once('SIGINT', onSigint);
      try {
        const pulled = await pullModel(id, config, { dtype: dtypeFlag(v.dtype), device: deviceFlag(v.device), signal: abort.signal, onProgress: (p) => progress.update(p) });
        progress.done();
        const how = pulled.offline ? 'from the cache (offline)' : pulled.downloaded > 0 ? `${formatBytes(pulled.downloaded)} downloaded` : 'already in the cache';
        console.log(`${formatHubId(id)} ${pulled.dtype} at ${pulled.commit.slice(0, 10)}: ${how}\n${pulled.dir}`);
        return 0;
      } catch (e) {
        progress.done();
        if (abort.signal.aborted) {
          process.stderr.write('sampling-lab: cancelled; the partial file is kept and the next pull resumes it.\n');
          return 130;
        }
        throw e;
      } finally {
        process.off('SIGINT', onSigint);
      }
    }
    case 'gguf': {
      const found = findGgufFiles({ ...defaultGgufRoots(), folders: parsed.positionals.map((f) => path.resolve(f)) });
      if (v.json) {
        console.log(JSON.stringify({ files: found }, null, 2));
        return 0;
      }
      if (found.length === 0) console.log('No GGUF files found in LM Studio\'s or Ollama\'s model folders' + (parsed.positionals.length ? ' or the folders given.' : '. Name a folder to search: sampling-lab models gguf ~/models'));
      for (const f of found) console.log(`${f.source.padEnd(8)}  ${f.name}  ${formatBytes(f.bytes)}\n          ${f.file}`);
      return 0;
    }
    case 'rm': {
      const id = hubIdArgument(parsed.positionals);
      const size = listCachedModels(config.cacheDir).find((m) => m.repo === id.repo)?.sizeOnDisk ?? 0;
      if (!removeCachedModel(config.cacheDir, id.repo)) {
        process.stderr.write(`sampling-lab: ${id.repo} is not in the cache (${config.cacheDir}).\n`);
        return 1;
      }
      console.log(`Removed ${id.repo} (${formatBytes(size)}).`);
      return 0;
    }
    default:
      throw new UsageError(`Unknown models command "${sub}".\n\n${MODELS_USAGE}`);
  }
}
