/**
 * The explorer's live controls (every stage parameter the registry declares, and the chain order)
 * as a sampler spec. The spec is built by the same strategy code the settings and the CLI use, so
 * a control set to what a card ran gives the chain that card sampled with.
 */
import { DEFAULT_ORDER, strategyFromSettings } from '../decode/strategies';
import type { Strategy } from '../decode/types';
import { settingsFromStage } from '../sampling/registry';
import type { SamplerSpec, StageType } from '../sampling/types';

/**
 * Strategy settings without the kind: `temperature` (0 is greedy) and any stage parameter by its
 * setting key (topK, topP, typicalP, dryMultiplier, …); a stage whose enabling setting is absent
 * is off. `order` lists stages first; the rest keep their default place after them.
 */
export interface ExplorerSettings {
  temperature: number;
  topK?: number;
  topP?: number;
  minP?: number;
  order?: StageType[];
  [setting: string]: unknown;
}

/** The explorer's controls as a strategy ("branch from here" decodes with it). Throws StrategyError for bad values. */
export function explorerStrategy(settings: ExplorerSettings, name?: string): Strategy {
  // top-k 0 is the slider's "off".
  return strategyFromSettings({ ...settings, kind: 'custom', name, topK: settings.topK === 0 ? undefined : settings.topK }, 'explorer');
}

/** The explorer's controls as the chain that would run them. */
export function samplerSpecOf(settings: ExplorerSettings): SamplerSpec {
  return explorerStrategy(settings).sampler;
}

/**
 * A card's sampler as starting values for the controls: every stage carries over (each has a
 * registry entry, so the explorer has a control for each parameter), so the explorer's numbers
 * are the card's.
 */
export function explorerSettingsOf(spec: SamplerSpec): { settings: ExplorerSettings } {
  const settings: ExplorerSettings = { temperature: spec.select === 'greedy' ? 0 : 1 };
  const order: StageType[] = [];
  for (const stage of spec.stages) {
    order.push(stage.type);
    Object.assign(settings, settingsFromStage(stage));
  }
  if (spec.select === 'greedy') settings.temperature = 0;
  if (spec.minKeep !== undefined) settings.minKeep = spec.minKeep;
  const isDefault = order.every((t, i) => t === DEFAULT_ORDER.filter((d) => order.includes(d))[i]);
  if (!isDefault) settings.order = order;
  return { settings };
}
