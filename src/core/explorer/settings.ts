/**
 * The explorer's live controls (temperature, top-k, top-p, min-p and their order) as a sampler
 * spec. The spec is built by the same strategy code the settings and the CLI use, so a control
 * set to what a card ran gives the chain that card sampled with.
 */
import { DEFAULT_ORDER, strategyFromSettings } from '../decode/strategies';
import type { Strategy } from '../decode/types';
import type { SamplerSpec, StageType } from '../sampling/types';

export interface ExplorerSettings {
  /** T in softmax(logits / T); 0 is greedy. */
  temperature: number;
  /** Keep the k most likely tokens; undefined or 0 turns the stage off. */
  topK?: number;
  /** Nucleus mass; undefined turns the stage off (1 keeps it, as a no-op, in the printed chain). */
  topP?: number;
  /** Keep p ≥ minP × p_max; undefined turns the stage off. */
  minP?: number;
  /** Chain order; stages not listed keep their default place after these. */
  order?: StageType[];
}

/** The explorer's controls as a strategy ("branch from here" decodes with it). Throws StrategyError for bad values. */
export function explorerStrategy(settings: ExplorerSettings, name?: string): Strategy {
  return strategyFromSettings(
    {
      kind: 'custom',
      name,
      temperature: settings.temperature,
      topK: settings.topK === 0 ? undefined : settings.topK,
      topP: settings.topP,
      minP: settings.minP,
      order: settings.order,
    },
    'explorer',
  );
}

/** The explorer's controls as the chain that would run them. */
export function samplerSpecOf(settings: ExplorerSettings): SamplerSpec {
  return explorerStrategy(settings).sampler;
}

/** The stages the explorer has controls for; the others (repetition penalty, typical-p) it cannot show. */
const EXPLORER_STAGES: readonly StageType[] = ['temperature', 'top_k', 'top_p', 'min_p'];

/**
 * A card's sampler as starting values for the controls. `unsupported` names the stages the
 * explorer has no control for; when it is not empty, the explorer's numbers leave them out.
 */
export function explorerSettingsOf(spec: SamplerSpec): { settings: ExplorerSettings; unsupported: StageType[] } {
  const settings: ExplorerSettings = { temperature: spec.select === 'greedy' ? 0 : 1 };
  const unsupported: StageType[] = [];
  const order: StageType[] = [];
  for (const stage of spec.stages) {
    if (!EXPLORER_STAGES.includes(stage.type)) {
      unsupported.push(stage.type);
      continue;
    }
    order.push(stage.type);
    if (stage.type === 'temperature') settings.temperature = spec.select === 'greedy' ? 0 : stage.t;
    else if (stage.type === 'top_k') settings.topK = stage.k;
    else if (stage.type === 'top_p') settings.topP = stage.p;
    else if (stage.type === 'min_p') settings.minP = stage.p;
  }
  const isDefault = order.every((t, i) => t === DEFAULT_ORDER.filter((d) => order.includes(d))[i]);
  if (!isDefault) settings.order = order;
  return { settings, unsupported };
}
