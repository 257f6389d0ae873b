/**
 * The registry: one line per sampler stage, in the default chain order. Everything that lists
 * stages or their parameters derives from here: validation, the default order, strategy settings
 * and their inverse, CLI flags, the JSON schemas, the explorer's controls and Sample with Settings.
 * A new stage is one file (its definition) and one line below.
 */
import { checkNumberParam, parameterName, SamplingConfigError } from './checkParam';
import { dryStage } from './dry';
import { epsilonStage } from './epsilon';
import { etaStage } from './eta';
import { logitBiasStage } from './logitBias';
import { minPStage } from './minP';
import { mirostatV2Stage } from './mirostat';
import { penaltiesStage } from './penalties';
import { repetitionPenaltyStage } from './repetitionPenalty';
import type { NumberParam, ParamSpec, StageDefinition } from './stage';
import { temperatureStage } from './temperature';
import { topKStage } from './topK';
import { topNSigmaStage } from './topNSigma';
import { topPStage } from './topP';
import { typicalPStage } from './typicalP';
import type { SamplerSpec, StageConfig, StageType } from './types';
import { xtcStage } from './xtc';

/** Every stage, in the default chain order (penalties on raw logits, then temperature, then the cuts). */
export const STAGES: readonly StageDefinition[] = [
  logitBiasStage,
  repetitionPenaltyStage,
  penaltiesStage,
  dryStage,
  temperatureStage,
  topKStage,
  topNSigmaStage,
  typicalPStage,
  topPStage,
  minPStage,
  etaStage,
  epsilonStage,
  xtcStage,
  mirostatV2Stage,
];

export const STAGE_TYPES: readonly StageType[] = STAGES.map((s) => s.type);
export const DEFAULT_ORDER: readonly StageType[] = STAGE_TYPES;

const byType = new Map<string, StageDefinition>(STAGES.map((s) => [s.type, s]));

export function stageDefinition(type: StageType): StageDefinition {
  const d = byType.get(type);
  if (!d) throw new SamplingConfigError(`Unknown sampler stage ${JSON.stringify(type)}. Known stages: ${STAGE_TYPES.join(', ')}.`, 'type');
  return d;
}

/** "top-p", "nucleus", "Top_P" → "top_p"; undefined for a name no stage has. */
export function stageTypeFromName(name: string): StageType | undefined {
  const k = name.trim().toLowerCase();
  for (const s of STAGES) {
    if (s.type === k || s.type === k.replace(/-/g, '_') || s.aliases.includes(k)) return s.type;
  }
  return undefined;
}

/** The chain-wide parameter every truncating stage honours. */
export const MIN_KEEP_PARAM: NumberParam = {
  kind: 'number',
  field: 'minKeep',
  setting: 'minKeep',
  flag: '--min-keep',
  help: 'every truncating stage keeps at least this many tokens (integer ≥ 1; llama.cpp min_keep)',
  min: 1,
  max: Infinity,
  integer: true,
  default: 1,
  control: { min: 1, max: 20, step: 1 },
};

/** Every parameter with its stage (minKeep's stage is undefined), in registry order. */
export function allParams(): Array<{ stage?: StageDefinition; param: ParamSpec }> {
  return [...STAGES.flatMap((stage) => stage.params.map((param) => ({ stage, param }))), { param: MIN_KEEP_PARAM }];
}

function checkParamValue(definition: StageDefinition, param: ParamSpec, value: unknown, stageIndex: number): void {
  const name = param.kind === 'number' ? parameterName(definition, param) : `${definition.type}.${param.field}`;
  switch (param.kind) {
    case 'number':
      return checkNumberParam(name, param, value, stageIndex);
    case 'texts':
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
        throw new SamplingConfigError(`${name} must be a list of strings (got ${JSON.stringify(value)}).`, name, stageIndex);
      }
      return;
    case 'bias':
      if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.values(value).some((v) => v !== false && (typeof v !== 'number' || !Number.isFinite(v)))) {
        throw new SamplingConfigError(`${name} must map token ids or texts to a finite bias, or false to ban (got ${JSON.stringify(value)}).`, name, stageIndex);
      }
      return;
  }
}

/** Throws a SamplingConfigError for the first bad parameter; returns the spec unchanged. */
export function validateSamplerSpec(spec: SamplerSpec): SamplerSpec {
  if (typeof spec !== 'object' || spec === null) {
    throw new SamplingConfigError('The sampler spec must be an object like { stages: [...], select: "sample" }.', 'spec');
  }
  if (spec.select !== 'sample' && spec.select !== 'greedy') {
    throw new SamplingConfigError(`select must be "sample" or "greedy" (got ${JSON.stringify(spec.select)}).`, 'select');
  }
  if (!Array.isArray(spec.stages)) {
    throw new SamplingConfigError(`stages must be an array of stage objects (got ${JSON.stringify(spec.stages)}).`, 'stages');
  }
  if (spec.minKeep !== undefined) checkNumberParam('min_keep', MIN_KEEP_PARAM, spec.minKeep);
  spec.stages.forEach((stage: unknown, i) => {
    const type = typeof stage === 'object' && stage !== null ? (stage as { type?: unknown }).type : undefined;
    const definition = typeof type === 'string' ? byType.get(type) : undefined;
    if (!definition) {
      throw new SamplingConfigError(`Unknown sampler stage ${JSON.stringify(type)} at stages[${i}]. Known stages: ${STAGE_TYPES.join(', ')}.`, `stages[${i}].type`, i);
    }
    const s = stage as Record<string, unknown>;
    const first = definition.params.find((p) => p.enables);
    for (const param of definition.params) {
      const value = s[param.field];
      // The first enabling parameter is required (top_p's p); the rest take their defaults.
      if (value === undefined && !(param === first && definition.params.filter((p) => p.enables).length === 1)) continue;
      checkParamValue(definition, param, value, i);
    }
  });
  return spec;
}

/**
 * A stage config from strategy settings (`{ topP: 0.9 }` → `{ type: 'top_p', p: 0.9 }`), or
 * undefined when none of the stage's enabling settings is given (or it would do nothing and
 * the definition says to leave it out). Values were checked by the caller.
 */
export function stageFromSettings(definition: StageDefinition, settings: Record<string, unknown>): StageConfig | undefined {
  if (!definition.params.some((p) => p.enables && settings[p.setting] !== undefined && settings[p.setting] !== null)) return undefined;
  const config: Record<string, unknown> = { type: definition.type };
  for (const p of definition.params) {
    const v = settings[p.setting];
    if (v !== undefined && v !== null) config[p.field] = v;
    else if (p.kind === 'number' && p.enables) config[p.field] = p.default === undefined ? undefined : enablingDefault(definition, p);
  }
  const stage = config as StageConfig;
  if (definition.omitWhenNoOp && definition.isNoOp(stage, Infinity)) return undefined;
  return stage;
}

/** An enabling parameter left out while another enables the stage (presence without frequency): its off value. */
function enablingDefault(definition: StageDefinition, p: NumberParam): number {
  return definition.params.filter((q) => q.enables).length > 1 ? 0 : p.default;
}

/** The inverse: the settings that give this stage (`{ type: 'top_p', p: 0.9 }` → `{ topP: 0.9 }`). */
export function settingsFromStage(config: StageConfig): Record<string, unknown> {
  const definition = stageDefinition(config.type);
  const out: Record<string, unknown> = {};
  const c = config as unknown as Record<string, unknown>;
  for (const p of definition.params) if (c[p.field] !== undefined) out[p.setting] = c[p.field];
  return out;
}
