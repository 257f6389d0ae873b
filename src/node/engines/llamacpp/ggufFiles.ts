/**
 * Finds the GGUF files a user already has: LM Studio's models folder, Ollama's model store
 * (manifests naming sha256 blobs), and any folder given. Read-only: it lists and reads four-byte
 * headers, never writes, and never descends into a symlinked folder (a loop or a way out).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readableEntries } from '../../globFiles';

export type GgufSource = 'lmstudio' | 'ollama' | 'folder';

export interface GgufFile {
  /** The path to give --model. */
  file: string;
  /** How the tool that owns it names it: "publisher/repo/file.gguf" (LM Studio), "llama3.2:1b" (Ollama), the path relative to the folder. */
  name: string;
  source: GgufSource;
  bytes: number;
}

export interface GgufRoots {
  lmstudio: string[];
  ollama: string[];
  folders: string[];
}

/** Where LM Studio and Ollama keep models on this machine (their documented defaults and overrides). */
export function defaultGgufRoots(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): GgufRoots {
  return {
    // LM Studio 0.3+ keeps models in ~/.lmstudio/models; older versions in ~/.cache/lm-studio/models.
    lmstudio: [path.join(home, '.lmstudio', 'models'), path.join(home, '.cache', 'lm-studio', 'models')],
    // OLLAMA_MODELS overrides ~/.ollama/models; Linux's service install runs as the ollama user.
    ollama: env.OLLAMA_MODELS ? [env.OLLAMA_MODELS] : [path.join(home, '.ollama', 'models'), '/usr/share/ollama/.ollama/models'],
    folders: [],
  };
}

/** The most directory levels walked under a folder (LM Studio nests publisher/repo/file). */
const MAX_DEPTH = 6;

function isGgufFile(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(4);
    return fs.readSync(fd, head, 0, 4, 0) === 4 && head.toString('latin1') === 'GGUF';
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** *.gguf files under `root` (GGUF magic checked), named by their path relative to it. */
function walkFolder(root: string, source: GgufSource): GgufFile[] {
  const found: GgufFile[] = [];
  const walk = (dir: string, depth: number) => {
    const entries = readableEntries(dir);
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory() && depth < MAX_DEPTH) walk(full, depth + 1);
      else if ((e.isFile() || e.isSymbolicLink()) && /\.gguf$/i.test(e.name)) {
        let stat: fs.Stats;
        try {
          stat = fs.statSync(full);
        } catch {
          continue; // a dangling link
        }
        if (stat.isFile() && isGgufFile(full)) found.push({ file: full, name: path.relative(root, full).split(path.sep).join('/'), source, bytes: stat.size });
      }
    }
  };
  walk(root, 0);
  return found;
}

const OLLAMA_MODEL_LAYER = 'application/vnd.ollama.image.model';

/** Ollama's models: each manifest (manifests/<registry>/<namespace>/<model>/<tag>) names its weights blob by digest. */
function ollamaModels(root: string): GgufFile[] {
  const manifests = path.join(root, 'manifests');
  const found: GgufFile[] = [];
  const walk = (dir: string, parts: string[]) => {
    const entries = readableEntries(dir);
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory() && parts.length < 3) walk(full, [...parts, e.name]);
      else if (e.isFile() && parts.length === 3) {
        const model = ollamaBlob(root, full);
        if (!model) continue;
        const [registry, namespace, name] = parts as [string, string, string];
        const short = registry === 'registry.ollama.ai' && namespace === 'library' ? name : registry === 'registry.ollama.ai' ? `${namespace}/${name}` : `${registry}/${namespace}/${name}`;
        found.push({ ...model, name: `${short}:${e.name}`, source: 'ollama' });
      }
    }
  };
  walk(manifests, []);
  return found;
}

function ollamaBlob(root: string, manifestFile: string): { file: string; bytes: number } | undefined {
  let manifest: unknown;
  try {
    const stat = fs.statSync(manifestFile);
    if (stat.size > 1_000_000) return undefined; // manifests are a few hundred bytes
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  } catch {
    return undefined;
  }
  const layers = (manifest as { layers?: unknown }).layers;
  if (!Array.isArray(layers)) return undefined;
  const layer = layers.find((l): l is { digest: string } => typeof l === 'object' && l !== null && (l as { mediaType?: unknown }).mediaType === OLLAMA_MODEL_LAYER && typeof (l as { digest?: unknown }).digest === 'string');
  // A digest is "sha256:<64 hex>"; anything else could name a path outside blobs/.
  const digest = layer && /^sha256:([0-9a-f]{64})$/.exec(layer.digest);
  if (!digest) return undefined;
  const file = path.join(root, 'blobs', `sha256-${digest[1]}`);
  try {
    const stat = fs.statSync(file);
    return stat.isFile() && isGgufFile(file) ? { file, bytes: stat.size } : undefined;
  } catch {
    return undefined;
  }
}

/** Every GGUF file under the roots, LM Studio's, then Ollama's, then the folders', each list by name. */
export function findGgufFiles(roots: GgufRoots = defaultGgufRoots()): GgufFile[] {
  const byName = (a: GgufFile, b: GgufFile) => a.name.localeCompare(b.name);
  return [
    ...roots.lmstudio.flatMap((r) => walkFolder(r, 'lmstudio')).sort(byName),
    ...roots.ollama.flatMap((r) => ollamaModels(r)).sort(byName),
    ...roots.folders.flatMap((r) => walkFolder(r, 'folder')).sort(byName),
  ];
}
