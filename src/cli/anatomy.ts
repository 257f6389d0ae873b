/**
 * `sampling-lab anatomy [--model M] [--json]`: where the model's parameters go, by component,
 * read from its ONNX weights and checked against config.json, with Chinchilla's 20 tokens per
 * parameter beside the tokens the model card says it was trained on.
 */
import type { ModelAnatomy } from '../core/anatomy/anatomy';
import { loadModelAnatomy } from '../node/modelAnatomy';
import { parseFlags } from './flags';
import { isGgufPath } from '../node/engines/llamacpp/llamaCppModel';
import { ensureModel } from '../node/modelFolder';
import { UsageError } from './usageError';
import { ENDPOINT_OPTIONS } from './endpoint';
import { progressReporter } from './loadModel';

export const ANATOMY_USAGE = `Usage: sampling-lab anatomy [--model M] [--json]

Shows where the model's parameters go (embedding, attention, MLP, norms, output head), read from
the ONNX weights and checked against config.json, and Chinchilla's compute-optimal tokens
(≈ 20 × parameters) beside the tokens the model card says it was trained on.

Options:
  --model M    the bundled facts-lm, a model folder, or a hub id owner/name[@revision]
  --json       machine-readable output (every tensor included)

A server (--endpoint) does not share its weights, so anatomy needs a local model or a hub id.
  -h, --help   this help`;

const int = (n: number) => n.toLocaleString('en-US');
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1)} MB`;
}

/** Tokens in words: 36,867,840 → "36.9 M". */
function tokensShort(n: number): string {
  for (const [unit, size] of [['T', 1e12], ['B', 1e9], ['M', 1e6], ['k', 1e3]] as const) {
    if (n >= size) return `${(n / size).toFixed(n / size < 10 ? 2 : 1)} ${unit}`;
  }
  return String(n);
}

export function renderAnatomy(name: string, a: ModelAnatomy, barWidth = 30): string {
  const arch = a.architecture;
  const shape = [
    `layers ${arch.layers ?? '?'}`,
    `heads ${arch.heads ?? '?'} (KV heads ${arch.kvHeads ?? '?'}, head_dim ${arch.headDim ?? '?'})`,
    `hidden ${arch.hiddenSize ?? '?'}`,
    `MLP ${arch.intermediateSize ?? '?'}`,
    `vocabulary ${arch.vocabulary !== undefined ? int(arch.vocabulary) : '?'}`,
    `context ${arch.contextLength ?? '?'}`,
  ].join(' · ');
  const out = [
    `${name}${arch.modelType ? ` (${arch.modelType})` : ''}: ${int(a.totalParameters)} parameters`,
    shape,
    `dtype ${a.dtype} · file ${int(a.fileBytes)} bytes (${megabytes(a.fileBytes)})` +
      (a.externalDataBytes > 0 ? ` + external data ${int(a.externalDataBytes)} bytes` : '') +
      ` · weights ${int(a.weightBytes)} bytes · ONNX IR ${a.onnx.irVersion}, opset ${a.onnx.opset ?? '?'}, ${a.onnx.producer || 'unknown producer'}`,
    '',
  ];
  const withConfig = a.config !== undefined;
  const head = ['component', 'parameters', 'share', ...(withConfig ? ['config.json'] : []), ''];
  const rows = a.components.map((c) => {
    const bar = '█'.repeat(Math.round(c.share * barWidth)) || (c.parameters > 0 ? '▏' : '');
    const note = c.note ? `  ${c.note}` : '';
    return [c.label, int(c.parameters), pct(c.share), ...(withConfig ? [c.fromConfig === c.parameters ? '✓' : int(c.fromConfig ?? 0)] : []), bar + note];
  });
  const total = ['total', int(a.totalParameters), pct(1), ...(withConfig ? [a.config!.matches ? `✓ ${int(a.config!.total)}` : int(a.config!.total)] : []), ''];
  const all = [head, ...rows, total];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((cell, i) => (i === 0 || i === r.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  out.push(line(head), widths.slice(0, -1).map((w) => '-'.repeat(w)).join('  '));
  a.components.forEach((c, i) => {
    out.push(line(rows[i]!));
    if (c.parts.length > 1) out.push(`    ${c.parts.map((p) => `${p.part} ${int(p.parameters)}`).join(' · ')}`);
  });
  out.push(line(total));
  if (a.config && !a.config.matches) out.push(`config.json differs: ${a.config.differences.join('; ')}`);
  if (a.config) out.push(`config.json: ${a.config.formula}`);

  const layerSizes = [...new Set(a.layers.map((l) => l.parameters))];
  if (a.layers.length > 0 && layerSizes.length === 1) {
    const l = a.layers[0]!;
    out.push(`per layer: ${int(l.parameters)} (attention ${int(l.attention)} · MLP ${int(l.mlp)} · norms ${int(l.norms)}) × ${a.layers.length} layers`);
  } else {
    for (const l of a.layers) out.push(`layer ${l.layer}: ${int(l.parameters)} (attention ${int(l.attention)} · MLP ${int(l.mlp)} · norms ${int(l.norms)})`);
  }
  out.push(`constants (not parameters): ${a.constants.tensors} tensors, ${int(a.constants.elements)} values`);

  const c = a.chinchilla;
  out.push('', `Chinchilla compute-optimal: ≈ ${c.tokensPerParameter} × ${int(a.totalParameters)} = ${int(c.computeOptimalTokens)} tokens (${tokensShort(c.computeOptimalTokens)})`);
  if (c.trainingTokens !== undefined) {
    out.push(
      `trained on: ${int(c.trainingTokens)} tokens (${tokensShort(c.trainingTokens)}, model card${c.trainingTokensSource ? `, ${c.trainingTokensSource}` : ''}) = ` +
        `${c.trainedTokensPerParameter!.toFixed(2)} tokens per parameter, ${pct(c.fractionOfOptimal!)} of compute-optimal`,
    );
  } else {
    out.push('trained on: not stated in the model card (add `training_tokens: N` to its YAML front matter)');
  }
  for (const note of a.notes) out.push(`note: ${note}`);
  return out.join('\n');
}

export async function anatomy(argv: string[]): Promise<number> {
  // The endpoint flags parse so that a copied command line gets the reason, not "unknown option".
  const parsed = parseFlags(argv, { model: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, ...ENDPOINT_OPTIONS }, ANATOMY_USAGE, { positionals: false });
  if (parsed.values.help) {
    console.log(ANATOMY_USAGE);
    return 0;
  }
  if (parsed.values.endpoint !== undefined) {
    throw new UsageError(
      `anatomy counts a model's parameters from its weights, and ${parsed.values.endpoint} runs its model on a server that does not share them. ` +
        'Give a local model or a hub id instead: --model facts-lm (bundled), a model folder, or owner/name[@revision].',
    );
  }
  if (isGgufPath(parsed.values.model)) throw new UsageError('anatomy reads an ONNX export (config.json and the graph); it does not read .gguf files yet. Give the model folder the GGUF file was converted from.');
  const progress = progressReporter();
  // A hub id is pulled first (or found in the cache), like every other command.
  const location = await ensureModel(parsed.values.model, { onDownload: (p) => progress.update(p) }).finally(() => progress.done());
  const { anatomy: a, name, dir } = loadModelAnatomy(parsed.values.model, location);
  console.log(parsed.values.json ? JSON.stringify({ model: name, dir, ...a }, null, 2) : renderAnatomy(name, a));
  return 0;
}
