/**
 * Checks a sampler spec before a chain is built. Each message names the parameter, its allowed
 * range and the bad value, and says what to use instead where there is an obvious choice.
 */
import type { SamplerSpec, StageType } from './types';

export class SamplingConfigError extends Error {
  override readonly name = 'SamplingConfigError';
  constructor(
    message: string,
    /** The parameter at fault, e.g. "temperature", "top_p", "repetition_penalty.lastN". */
    readonly parameter: string,
    /** Index of the stage in `spec.stages`, when the fault is in one stage. */
    readonly stageIndex?: number,
  ) {
    super(message);
  }
}

export const STAGE_TYPES: readonly StageType[] = ['repetition_penalty', 'temperature', 'top_k', 'top_p', 'min_p', 'typical_p'];

interface NumberRule {
  ok: (v: number) => boolean;
  range: string;
  integer?: boolean;
  hint?: string;
}

const RULES: Record<string, NumberRule> = {
  temperature: { ok: (v) => v >= 0, range: '≥ 0', hint: 'Use 0 for greedy decoding.' },
  top_k: { ok: (v) => v >= 1, range: '≥ 1', integer: true },
  top_p: { ok: (v) => v > 0 && v <= 1, range: 'in (0, 1]', hint: 'Use 1 to keep every token.' },
  min_p: { ok: (v) => v >= 0 && v <= 1, range: 'in [0, 1]', hint: 'Use 0 to keep every token.' },
  typical_p: { ok: (v) => v > 0 && v <= 1, range: 'in (0, 1]', hint: 'Use 1 to keep every token.' },
  repetition_penalty: { ok: (v) => v > 0, range: '> 0', hint: 'Use 1 for no penalty.' },
  'repetition_penalty.lastN': { ok: (v) => v >= 0, range: '≥ 0', integer: true, hint: 'Use 0 to disable the penalty.' },
};

/**
 * For the exported stage functions (minP(set, p) and friends), which can be called without a
 * validated spec: the same rule and message as validateSamplerSpec, so minP(set, 1.5) fails
 * instead of emptying the set.
 */
export function checkStageParameter(parameter: string, value: unknown): void {
  checkNumber(parameter, value, undefined);
}

function checkNumber(parameter: string, value: unknown, stageIndex: number | undefined): void {
  const rule = RULES[parameter];
  if (!rule) throw new Error(`no rule for ${parameter}`);
  const good =
    typeof value === 'number' && Number.isFinite(value) && rule.ok(value) && (!rule.integer || Number.isInteger(value));
  if (good) return;
  const kind = rule.integer ? 'an integer ' : typeof value === 'number' && !Number.isFinite(value) ? 'a finite number ' : '';
  const shown = typeof value === 'number' ? String(value) : JSON.stringify(value) ?? String(value);
  const hint = rule.hint ? ` ${rule.hint}` : '';
  throw new SamplingConfigError(`${parameter} must be ${kind}${rule.range} (got ${shown}).${hint}`, parameter, stageIndex);
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
  spec.stages.forEach((stage: unknown, i) => {
    const type = typeof stage === 'object' && stage !== null ? (stage as { type?: unknown }).type : undefined;
    const s = stage as Record<string, unknown>;
    switch (type) {
      case 'temperature':
        return checkNumber('temperature', s.t, i);
      case 'top_k':
        return checkNumber('top_k', s.k, i);
      case 'top_p':
        return checkNumber('top_p', s.p, i);
      case 'min_p':
        return checkNumber('min_p', s.p, i);
      case 'typical_p':
        return checkNumber('typical_p', s.p, i);
      case 'repetition_penalty':
        checkNumber('repetition_penalty', s.penalty, i);
        if (s.lastN !== undefined) checkNumber('repetition_penalty.lastN', s.lastN, i);
        return;
      default:
        throw new SamplingConfigError(
          `Unknown sampler stage ${JSON.stringify(type)} at stages[${i}]. Known stages: ${STAGE_TYPES.join(', ')}.`,
          `stages[${i}].type`,
          i,
        );
    }
  });
  return spec;
}
