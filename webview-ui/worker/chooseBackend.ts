/**
 * Picks WebGPU or WASM for the model. WebGPU only when the browser hands out an adapter;
 * every other outcome is WASM with a reason the user can read in the log.
 */
import type { Backend, DevicePreference } from '../../src/protocol/messages';

export interface BackendChoice {
  backend: Backend;
  /** Set when the result is WASM although WebGPU was wanted or possible. */
  reason?: string;
}

export async function chooseBackend(preference: DevicePreference, gpu: GPU | undefined): Promise<BackendChoice> {
  if (preference === 'wasm') return { backend: 'wasm', reason: 'samplingLab.device is "wasm"' };
  const asked = preference === 'webgpu' ? 'samplingLab.device is "webgpu" but ' : '';
  if (!gpu) return { backend: 'wasm', reason: `${asked}this webview has no navigator.gpu (WebGPU is off in this browser)` };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) {
      return { backend: 'wasm', reason: `${asked}navigator.gpu.requestAdapter() returned no adapter (GPU disabled or blocklisted)` };
    }
  } catch (e) {
    return { backend: 'wasm', reason: `${asked}navigator.gpu.requestAdapter() failed: ${e instanceof Error ? e.message : String(e)}` };
  }
  return { backend: 'webgpu' };
}
