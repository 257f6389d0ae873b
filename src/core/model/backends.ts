/**
 * Where a model runs: the one list of backend names. The panel's webview runs onnxruntime-web
 * (WebGPU, else WASM); Node runs onnxruntime-node's CPU provider or the same WASM build; the
 * llama.cpp engine names its own device string (`cpu (llama.cpp)`), which is shown, not chosen.
 */

/** The panel's backends, in the order `auto` tries them. */
export const WEBVIEW_BACKENDS = ['webgpu', 'wasm'] as const;
/** Node's backends (the CLI's --device, tests, bench); WebGPU runs only in the panel. */
export const NODE_BACKENDS = ['cpu', 'wasm'] as const;

/** A backend the panel's webview runs. */
export type WebviewBackend = (typeof WEBVIEW_BACKENDS)[number];
/** A backend Node runs. */
export type NodeBackend = (typeof NODE_BACKENDS)[number];
/** Any backend transformers.js is asked for. */
export type Backend = WebviewBackend | NodeBackend;
export function isWebviewBackend(backend: string | undefined): backend is WebviewBackend {
  return (WEBVIEW_BACKENDS as readonly string[]).includes(backend ?? '');
}
/** What the user asks of the panel (samplingLab.device): a backend, or WebGPU with a fallback to WASM. */
export type DevicePreference = 'auto' | WebviewBackend;
export const DEVICE_PREFERENCES = ['auto', ...WEBVIEW_BACKENDS] as const satisfies readonly DevicePreference[];
