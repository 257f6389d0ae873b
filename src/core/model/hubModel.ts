/**
 * What a Hugging Face hub model is, before any byte moves: its id ("owner/name[@revision]"), the
 * weight variants (dtypes) a repository's file list offers, the files one dtype needs, and which
 * dtype `auto` means on a device. Pure functions shared by the CLI, the extension host and the panel.
 */

/** The dtypes Sampling Lab offers, in transformers.js's names. */
export const DTYPES = ['fp32', 'fp16', 'q8', 'q4', 'q4f16'] as const;
export type Dtype = (typeof DTYPES)[number];
export type DtypeChoice = Dtype | 'auto';

/** transformers.js's file-name suffix per dtype (DEFAULT_DTYPE_SUFFIX_MAPPING in its utils/dtypes.js). */
const SUFFIX: Record<Dtype, string> = { fp32: '', fp16: '_fp16', q8: '_quantized', q4: '_q4', q4f16: '_q4f16' };

export function isDtype(value: unknown): value is Dtype {
  return typeof value === 'string' && (DTYPES as readonly string[]).includes(value);
}

export interface HubId {
  /** "owner/name". */
  repo: string;
  /** A branch, tag or commit; "main" when the id names none. */
  revision: string;
}

/** owner and name as the hub allows them: letters, digits, "-", "_", "."; no leading "." or "-", no "..". */
const PART = /^[A-Za-z0-9_][\w.-]{0,95}$/;
/** A revision: a branch, tag or 40-hex commit; path-like refs ("refs/pr/1") too, but nothing that climbs. */
const REVISION = /^[\w.-]+(?:\/[\w.-]+)*$/;

/** Parses "owner/name" or "owner/name@revision"; undefined when `text` is not a hub id. */
export function parseHubId(text: string): HubId | undefined {
  const trimmed = text.trim();
  const at = trimmed.indexOf('@');
  const repo = at < 0 ? trimmed : trimmed.slice(0, at);
  const revision = at < 0 ? 'main' : trimmed.slice(at + 1);
  const parts = repo.split('/');
  if (parts.length !== 2 || !parts.every((p) => PART.test(p) && !p.includes('..'))) return undefined;
  if (!REVISION.test(revision) || revision.split('/').some((p) => p === '..' || p === '.')) return undefined;
  return { repo, revision };
}

export function formatHubId(id: HubId): string {
  return id.revision === 'main' ? id.repo : `${id.repo}@${id.revision}`;
}

/** The ONNX graph transformers.js loads for a dtype (decoder-only models: onnx/model{suffix}.onnx). */
export function onnxFileFor(dtype: Dtype): string {
  return `onnx/model${SUFFIX[dtype]}.onnx`;
}

/** The dtypes a repository has weights for, in DTYPES order. */
export function availableDtypes(paths: readonly string[]): Dtype[] {
  const set = new Set(paths);
  return DTYPES.filter((d) => set.has(onnxFileFor(d)));
}

/** Files every dtype shares, when the repository has them: configs, tokenizer, chat template. */
const SHARED_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'chat_template.jinja'];

/** External data chunks of a graph: "model.onnx_data", "model.onnx_data_1", … (transformers.js's getExternalDataChunkNames). */
export function externalDataFiles(paths: readonly string[], onnxPath: string): string[] {
  const first = `${onnxPath}_data`;
  return paths
    .filter((p) => p === first || (p.startsWith(`${first}_`) && /^\d+$/.test(p.slice(first.length + 1))))
    .sort((a, b) => chunkIndex(a, first) - chunkIndex(b, first));
}

function chunkIndex(p: string, first: string): number {
  return p === first ? 0 : Number(p.slice(first.length + 1));
}

export class DtypeError extends Error {
  override readonly name = 'DtypeError';
}

/** The files of `paths` that a dtype needs, or a DtypeError naming what the repository does have. */
export function filesForDtype(repo: string, paths: readonly string[], dtype: Dtype): string[] {
  const onnx = onnxFileFor(dtype);
  const set = new Set(paths);
  if (!set.has(onnx)) {
    const have = availableDtypes(paths);
    throw new DtypeError(
      have.length === 0
        ? `${repo} has no ONNX export that transformers.js loads (no onnx/model*.onnx). Pick a repository with one, for example under onnx-community/.`
        : `${repo} has no ${dtype} weights (${onnx}). It has: ${have.join(', ')}. Choose one of those with --dtype or samplingLab.dtype.`,
    );
  }
  for (const required of ['config.json', 'tokenizer.json']) {
    if (!set.has(required)) throw new DtypeError(`${repo} has no ${required}, which transformers.js needs to load it. Pick a transformers.js export of the model.`);
  }
  return [...SHARED_FILES.filter((f) => set.has(f)), onnx, ...externalDataFiles(paths, onnx)];
}

/**
 * What `auto` means: fp32 for the bundled model (its reference weights; it also ships q8); on WebGPU with shader-f16,
 * fp16 (or q4f16 when there is no fp16); otherwise q8, which transformers.js defaults to on WASM.
 * Falls back to the first dtype the repository has.
 */
export function chooseDtype(options: { requested: DtypeChoice; available: readonly Dtype[]; device: string; shaderF16?: boolean; bundled?: boolean }): Dtype {
  const { requested, available } = options;
  if (requested !== 'auto') return requested;
  if (options.bundled) return 'fp32';
  const preference: Dtype[] =
    options.device === 'webgpu' ? (options.shaderF16 ? ['fp16', 'q4f16', 'fp32', 'q8', 'q4'] : ['fp32', 'q8', 'q4', 'fp16', 'q4f16']) : ['q8', 'fp32', 'q4', 'fp16', 'q4f16'];
  return preference.find((d) => available.includes(d)) ?? available[0] ?? 'fp32';
}
