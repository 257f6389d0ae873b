/**
 * The error a bad sampler parameter raises, and the one check every numeric parameter goes
 * through (from its definition's range), so a spec, a setting and a direct call like
 * minP(set, 1.5) all fail with the same message naming the parameter, its range and the fix.
 */
import type { NumberParam, StageDefinition } from './stage';

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

/** "top_p" for a stage's enabling parameter, "repetition_penalty.lastN" for the others. */
export function parameterName(definition: StageDefinition, param: NumberParam): string {
  const enabling = definition.params.filter((p) => p.enables);
  return enabling.length === 1 && enabling[0] === param ? definition.type : `${definition.type}.${param.field}`;
}

/** "in (0, 1]", "≥ 1", "> 0": a number parameter's range as messages and help print it. */
export function rangeText(param: NumberParam): string {
  const lowOnly = param.max === Infinity;
  if (lowOnly) return `${param.minOpen ? '>' : '≥'} ${param.min}`;
  return `in ${param.minOpen ? '(' : '['}${param.min}, ${param.max}${param.maxOpen ? ')' : ']'}`;
}

export function inRange(param: NumberParam, v: number): boolean {
  return (param.minOpen ? v > param.min : v >= param.min) && (param.maxOpen ? v < param.max : v <= param.max) && (!param.integer || Number.isInteger(v));
}

/** Throws a SamplingConfigError unless `value` is a finite number in the parameter's range. */
export function checkNumberParam(name: string, param: NumberParam, value: unknown, stageIndex?: number): void {
  if (typeof value === 'number' && Number.isFinite(value) && inRange(param, value)) return;
  const kind = param.integer ? 'an integer ' : typeof value === 'number' && !Number.isFinite(value) ? 'a finite number ' : '';
  const shown = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
  const hint = param.hint ? ` ${param.hint}` : '';
  throw new SamplingConfigError(`${name} must be ${kind}${rangeText(param)} (got ${shown}).${hint}`, name, stageIndex);
}

/** For the exported stage functions: checks `definition`'s parameter `field`. */
export function checkParam(definition: StageDefinition, field: string, value: unknown): void {
  const param = definition.params.find((p) => p.field === field);
  if (param?.kind !== 'number') throw new Error(`${definition.type} has no number parameter ${field}`);
  checkNumberParam(parameterName(definition, param), param, value);
}
