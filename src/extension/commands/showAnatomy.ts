/**
 * "Sampling Lab: Show Model Anatomy": the loaded model's parameters by component, computed from
 * its ONNX initialisers and config by the core, drawn as an SVG bar chart in theme colours, with
 * the architecture facts and Chinchilla's ≈ 20 × parameters beside the tokens the model card
 * says it was trained on. The page needs no script: each bar is focusable and says its value.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelAnatomy } from '../../core/anatomy';
import { parseHubId, type Dtype, type HubId } from '../../core/model/hubModel';
import { loadModelAnatomy } from '../../node/modelAnatomy';
import { isGgufPath } from '../../node/engines/llamacpp/llamaCppModel';
import { endpointName } from '../endpoints';
import { resolveModelChoice } from '../modelChoice';
import { readSettings } from '../settings';

export interface AnatomySummary {
  model: string;
  totalParameters: number;
  components: { component: string; label: string; parameters: number }[];
  chinchillaTokens: number;
  trainingTokens?: number;
}

/** A hub model's snapshot folder and weights: from the cache, or pulled with the editor's progress. */
export type PullHubModel = (id: HubId) => Promise<{ dir: string; dtype: Dtype }>;

let panel: vscode.WebviewPanel | undefined;

export async function showAnatomy(extensionUri: vscode.Uri, pullHub: PullHubModel): Promise<AnatomySummary> {
  const setting = readSettings().model;
  const endpoint = endpointName(setting);
  if (endpoint !== undefined) {
    throw new Error(
      `Sampling Lab: Model Anatomy counts a model's parameters from its weights, and endpoint ${endpoint} runs its model on a server that does not share them. ` +
        'Select a local or hub model (Sampling Lab: Select Model…) to see its anatomy.',
    );
  }
  if (isGgufPath(setting)) {
    throw new Error(
      'Model Anatomy reads an ONNX export (config.json and the graph); it does not read .gguf files yet. ' +
        'Select the model folder the GGUF file was converted from, or another ONNX model (Sampling Lab: Select Model…), to see its anatomy.',
    );
  }
  const workspaceRoot = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const choice = resolveModelChoice(setting, extensionUri, workspaceRoot, readSettings().dtype);
  // A hub model is read from its snapshot in the cache, in the weights it runs with (a q8 graph
  // counts the same parameters as fp32: scales and zero points are not counted).
  const { dir, dtype } = choice.kind === 'hub' ? await pullHub(parseHubId(choice.name)!) : { dir: choice.dir, dtype: choice.dtype };
  const { anatomy } = loadModelAnatomy(undefined, { kind: choice.kind === 'hub' ? 'hub' : 'folder', parent: path.dirname(dir), id: path.basename(dir), dir, name: choice.name, dtype });
  if (!panel) {
    const created = vscode.window.createWebviewPanel('samplingLab.anatomy', 'Model Anatomy', vscode.ViewColumn.Active, { enableScripts: false });
    created.onDidDispose(() => (panel = undefined));
    panel = created;
  } else {
    panel.reveal();
  }
  panel.title = `Model Anatomy: ${choice.name}`;
  panel.webview.html = anatomyHtml(choice.name, anatomy, panel.webview.cspSource);
  return {
    model: choice.name,
    totalParameters: anatomy.totalParameters,
    components: anatomy.components.map((c) => ({ component: c.component, label: c.label, parameters: c.parameters })),
    chinchillaTokens: anatomy.chinchilla.computeOptimalTokens,
    trainingTokens: anatomy.chinchilla.trainingTokens,
  };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const int = (n: number) => n.toLocaleString('en-US');

export function anatomyHtml(name: string, a: ModelAnatomy, cspSource: string): string {
  const rowH = 26;
  const labelW = 130;
  const barW = 300;
  const W = labelW + barW + 160;
  const max = Math.max(...a.components.map((c) => c.parameters), 1);
  const bars = a.components
    .map((c, i) => {
      const y = i * rowH + 4;
      const label = `${c.label}: ${int(c.parameters)} parameters, ${(c.share * 100).toFixed(1)}%`;
      return `<g class="bar" tabindex="0" role="img" aria-label="${esc(label)}" data-component="${c.component}" data-parameters="${c.parameters}">
  <title>${esc(label)}</title>
  <text x="${labelW - 6}" y="${y + 17}" text-anchor="end">${esc(c.label)}</text>
  <rect x="${labelW}" y="${y + 3}" width="${Math.max(1, (c.parameters / max) * barW)}" height="${rowH - 8}"></rect>
  <text x="${labelW + barW + 8}" y="${y + 17}">${int(c.parameters)} (${(c.share * 100).toFixed(1)}%)</text>
</g>`;
    })
    .join('\n');
  const arch = a.architecture;
  const fact = (label: string, value: unknown, key: string) =>
    `<dt>${esc(label)}</dt><dd data-fact="${key}">${esc(value === undefined || value === null ? '—' : typeof value === 'number' ? int(value) : String(value))}</dd>`;
  const c = a.chinchilla;
  const trained = c.trainingTokens
    ? `${int(c.trainingTokens)} tokens (${(c.trainedTokensPerParameter ?? 0).toFixed(2)} per parameter, ${((c.fractionOfOptimal ?? 0) * 100).toFixed(1)}% of compute-optimal; model card${c.trainingTokensSource ? `, ${esc(c.trainingTokensSource)}` : ''})`
    : 'not stated in the model card (add <code>training_tokens: N</code> to its front matter)';
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspSource} 'unsafe-inline';">
<style>
body { color: var(--vscode-foreground); font-family: var(--vscode-font-family); padding: 8px 16px; }
svg { width: 100%; max-width: ${W * 1.4}px; height: auto; }
svg text { fill: var(--vscode-foreground); font-size: 12px; }
svg rect { fill: var(--vscode-charts-blue); }
svg .bar:focus { outline: 1px solid var(--vscode-focusBorder); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; }
dt { color: var(--vscode-descriptionForeground); }
dd { margin: 0; }
</style></head><body>
<h1>Model anatomy: ${esc(name)}</h1>
<p>Total parameters: <strong id="total" data-total="${a.totalParameters}">${int(a.totalParameters)}</strong></p>
<h2>Parameters by component</h2>
<svg id="components" viewBox="0 0 ${W} ${a.components.length * rowH + 8}" role="group" aria-label="Parameters by component">
${bars}
</svg>
<h2>Architecture</h2>
<dl>
${fact('Layers', arch.layers, 'layers')}
${fact('Attention heads', arch.heads, 'heads')}
${fact('KV heads', arch.kvHeads, 'kvHeads')}
${fact('Hidden size', arch.hiddenSize, 'hidden')}
${fact('Vocabulary', arch.vocabulary, 'vocab')}
${fact('Context length', arch.contextLength, 'context')}
${fact('Dtype', a.dtype, 'dtype')}
${fact('File size', `${(a.fileBytes / (1 << 20)).toFixed(2)} MB (${int(a.fileBytes)} bytes)`, 'fileSize')}
</dl>
<h2>Training tokens</h2>
<dl>
<dt>Chinchilla compute-optimal (≈ ${c.tokensPerParameter} × parameters)</dt><dd data-fact="chinchilla">${int(c.computeOptimalTokens)} tokens</dd>
<dt>Trained on</dt><dd data-fact="trainingTokens">${trained}</dd>
</dl>
${a.head.note ? `<p>${esc(a.head.note)}</p>` : ''}
</body></html>`;
}
