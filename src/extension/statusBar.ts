/**
 * The status bar item: which model is loaded and on which backend, and while one loads, which file and how far.
 */
import * as vscode from 'vscode';
import { endpointName } from './endpoints';
import type { ModelState } from './modelSession';
import { loadStepShort, loadStepText } from '../core/model/loadProgress';

export function createModelStatusItem(): vscode.StatusBarItem {
  const item = vscode.window.createStatusBarItem('samplingLab.model', vscode.StatusBarAlignment.Right, 100);
  item.name = 'Sampling Lab Model';
  item.command = 'samplingLab.selectModel';
  return item;
}

export function showModelState(item: vscode.StatusBarItem, state: ModelState): void {
  switch (state.status) {
    case 'none':
      const name = endpointName(state.name);
      if (name !== undefined) {
        // A server: nothing loads here, the server samples.
        item.text = `$(server) ${name} · server`;
        item.tooltip = `Sampling Lab: runs go to endpoint ${name} (samplingLab.endpoints), which samples them. Click to pick a model.`;
        break;
      }
      item.text = `$(beaker) ${state.name}`;
      item.tooltip = `Sampling Lab: ${state.name} is not loaded; it loads on the next run. Click to pick a model.`;
      break;
    case 'loading': {
      const step = state.progress && loadStepText(state.progress);
      item.text = `$(loading~spin) ${state.name}${state.progress ? ` · ${loadStepShort(state.progress)}` : ''}`;
      item.tooltip = `Sampling Lab: loading ${state.name}${step ? `: ${step}` : '…'}`;
      break;
    }
    case 'ready': {
      const backend = state.backend === 'webgpu' ? 'WebGPU' : 'WASM';
      const dtype = state.dtype ? ` · ${state.dtype}` : '';
      item.text = `$(beaker) ${state.name}${dtype} · ${backend}`;
      item.tooltip = new vscode.MarkdownString(
        `Sampling Lab: **${state.name}**${state.dtype ? ` (${state.dtype} weights)` : ''} runs on **${backend}** in the panel.` +
          (state.fallbackReason ? `\n\nNot WebGPU because ${state.fallbackReason}.` : '') +
          '\n\nClick to pick another model.',
      );
      break;
    }
  }
  item.show();
}
