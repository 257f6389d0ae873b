import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { panelHtml } from '../../src/extension/panelHtml';

/** A stand-in for the webview's URI mapping: panelHtml only needs asWebviewUri and cspSource. */
function fakeWebview(): vscode.Webview {
  return {
    cspSource: 'https://file+.vscode-resource.test',
    asWebviewUri: (uri: vscode.Uri) => uri.with({ scheme: 'https', authority: 'file+.vscode-resource.test' }),
  } as unknown as vscode.Webview;
}

function directives(html: string): Map<string, string[]> {
  const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
  assert.ok(csp, 'the page declares a CSP');
  return new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));
}

describe('the panel page', () => {
  const html = panelHtml(fakeWebview(), vscode.Uri.file('/ext'));

  it('allows WebAssembly compilation but no eval, and scripts only by nonce or from the extension', () => {
    const policy = directives(html);
    assert.deepEqual(policy.get('default-src'), ["'none'"]);
    const scripts = policy.get('script-src')!;
    assert.ok(scripts.includes("'wasm-unsafe-eval'"), 'onnxruntime-web and XGrammar compile WebAssembly');
    assert.ok(!scripts.includes("'unsafe-eval'"), `script-src must not allow eval: ${scripts.join(' ')}`);
    assert.ok(!scripts.includes("'unsafe-inline'"));
    assert.match(scripts[0]!, /^'nonce-[A-Za-z0-9+/=]{16,}'$/);
  });

  it('every script tag carries the policy nonce, and each load gets a fresh one', () => {
    const nonce = /'nonce-([^']+)'/.exec(html)![1]!;
    const tags = html.match(/<script\b[^>]*>/g) ?? [];
    assert.ok(tags.length > 0);
    for (const tag of tags) assert.ok(tag.includes(`nonce="${nonce}"`), tag);
    const again = /'nonce-([^']+)'/.exec(panelHtml(fakeWebview(), vscode.Uri.file('/ext')))![1];
    assert.notEqual(again, nonce);
  });

  it('links each stylesheet from media/ (the explorer\'s included), and every one exists', () => {
    const root = path.resolve(__dirname, '..', '..', '..');
    const sheets = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)">/g)].map((m) => new URL(m[1]!).pathname);
    assert.ok(sheets.includes('/ext/media/explorer.css'), sheets.join(' '));
    for (const sheet of sheets) {
      assert.match(sheet, /^\/ext\/media\/[\w-]+\.css$/);
      assert.ok(fs.existsSync(path.join(root, sheet.slice('/ext/'.length))), `${sheet} is not in the extension`);
    }
  });
});
