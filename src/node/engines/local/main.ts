/** Registers the local engine: a model loaded in this process with loadNodeModel. */
import type { DtypeChoice } from '../../../core/model/hubModel';
import { withPromptFormat, type PromptFormat } from '../../../core/model/promptFormat';
import type { CausalLM } from '../../../core/model/types';
import { loadNodeModel, type NodeDevice, type NodeModelOptions } from '../../loadNodeModel';
import { registerEngineProvider, type EngineSpec } from '../registry';
import { LocalEngine, type LocalMaskOptions } from './localEngine';

export interface LocalEngineSpec extends EngineSpec {
  kind: 'local';
  /** An already loaded model (tests, the CLI's own loader); otherwise `model` is loaded. */
  causalLM?: CausalLM;
  model?: string;
  device?: NodeDevice;
  dtype?: DtypeChoice;
  format?: PromptFormat;
  onDownload?: NodeModelOptions['onDownload'];
  /** The structured routes' mask option (the model folder comes from `model`). */
  strictProperties?: LocalMaskOptions['strictProperties'];
}

registerEngineProvider<LocalEngineSpec>({
  kind: 'local',
  description: 'a model in this process (the bundled facts-lm, a folder, or a hub id), with onnxruntime-node or WASM',
  async create(spec, { signal }) {
    const loaded = spec.causalLM ?? (await loadNodeModel({ model: spec.model, device: spec.device, dtype: spec.dtype, signal, onDownload: spec.onDownload }));
    return new LocalEngine(spec.format ? withPromptFormat(loaded, spec.format) : loaded, { modelSetting: spec.model, strictProperties: spec.strictProperties });
  },
});
