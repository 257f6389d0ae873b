/**
 * The panel's HTML: one nonce-bearing script, a strict CSP, and resources only from the
 * extension's dist and media folders.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = randomBytes(16).toString('base64');
  const asset = (...parts: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...parts)).toString();
  const src = webview.cspSource;
  // 'wasm-unsafe-eval': onnxruntime-web compiles WebAssembly (in the worker too).
  // worker-src blob: the model worker starts from a blob: URL of the fetched dist/worker.js.
  // No 'unsafe-eval': the worker validates JSON with an eval-free library, the host with ajv.
  const csp = [
    "default-src 'none'",
    `img-src ${src} data:`,
    `style-src ${src} 'unsafe-inline'`,
    `script-src 'nonce-${nonce}' 'wasm-unsafe-eval' ${src}`,
    `worker-src ${src} blob:`,
    `connect-src ${src}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset('media', 'panel.css')}">
<link rel="stylesheet" href="${asset('media', 'json-routes.css')}">
<link rel="stylesheet" href="${asset('media', 'explorer.css')}">
<title>Sampling Lab</title>
</head>
<body data-worker-url="${asset('dist', 'worker.js')}">
<header class="toolbar">
  <span class="label">Model</span>
  <span id="model-status" role="status" aria-live="polite">No model loaded</span>
  <button id="stop" type="button" title="Stop the run in progress (Sampling Lab: Stop)">Stop</button>
  <div class="run-inputs" role="group" aria-label="Next comparison">
    <label>Max tokens <input id="max-tokens" type="text" inputmode="numeric" size="4" autocomplete="off" aria-describedby="run-inputs-error"></label>
    <label>Stop at <textarea id="stop-at" rows="1" spellcheck="false" placeholder="e.g. \n\n, ." aria-describedby="run-inputs-error"></textarea></label>
    <span id="run-inputs-error" class="run-inputs-error" role="alert" hidden></span>
  </div>
</header>
<div id="load" class="load" hidden>
  <progress id="load-bar" aria-labelledby="load-label"></progress>
  <span id="load-label" aria-live="polite"></span>
</div>
<p id="empty" class="empty">Select a prompt in an editor and run <strong>Sampling Lab: Compare Strategies on Selection</strong>
(editor context menu, or the command palette). Each strategy gets a card here. <strong>Sampling Lab: Check Hallucination Risk</strong>
samples the answer several times and shows how much the samples agree.</p>
<main id="runs" aria-label="Runs, newest first"></main>
<div id="token-tooltip" class="tooltip" role="tooltip" hidden></div>
<script nonce="${nonce}" src="${asset('dist', 'webview.js')}"></script>
</body>
</html>`;
}
