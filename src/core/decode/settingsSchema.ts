/**
 * The JSON schema of one strategy's settings (an item of `samplingLab.strategies`, and a prompt
 * test's `settings:`), derived from the stage registry so the schemas cannot drift from what
 * strategyFromSettings accepts. tools/samplers/writeSchemas.ts writes it into package.json and
 * media/prompttest.schema.json; test/unit/decode/settingsSchema.test.ts checks both.
 */
import { allParams, DEFAULT_ORDER, stageDefinition } from '../sampling/registry';
import type { ParamSpec } from '../sampling/stage';

const KIND_DESCRIPTIONS: Array<[string, string]> = [
  ['greedy', 'Always the most likely token.'],
  ['temperature', 'Sample from softmax(logits / T).'],
  ['top_k', 'Sample among the k most likely tokens.'],
  ['top_p', 'Sample from the smallest set of tokens whose probability mass reaches p.'],
  ['min_p', 'Keep tokens with p ≥ minP × p(most likely token).'],
  ['best_of_n', 'Draw N candidates and keep the one with the highest mean log-prob.'],
  ['custom', 'Any combination of the stages below.'],
];

function paramSchema(param: ParamSpec): Record<string, unknown> {
  const description = `${param.help[0]!.toUpperCase()}${param.help.slice(1)}.`;
  switch (param.kind) {
    case 'number': {
      const out: Record<string, unknown> = { type: param.integer ? 'integer' : 'number' };
      out[param.minOpen ? 'exclusiveMinimum' : 'minimum'] = param.min;
      if (param.max !== Infinity) out[param.maxOpen ? 'exclusiveMaximum' : 'maximum'] = param.max;
      out.description = description;
      return out;
    }
    case 'texts':
      return { type: 'array', items: { type: 'string' }, description };
    case 'bias':
      return {
        type: 'object',
        additionalProperties: { anyOf: [{ type: 'number' }, { const: false }] },
        description: `${description} Keys are token ids ("15043") or texts, e.g. { "15043": -5, "Paris": false }.`,
      };
  }
}

/** The settings object's schema (without the outer description each file gives it). */
export function strategySettingsSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    name: { type: 'string', description: 'Card title; defaults to a name built from the parameters, e.g. "top-p 0.9".' },
    kind: { type: 'string', enum: KIND_DESCRIPTIONS.map(([k]) => k), enumDescriptions: KIND_DESCRIPTIONS.map(([, d]) => d) },
  };
  for (const { param } of allParams()) properties[param.setting] = paramSchema(param);
  properties.candidates = { type: 'integer', minimum: 1, maximum: 64, description: 'Best-of-N: how many candidates (N).' };
  properties.order = {
    type: 'array',
    uniqueItems: true,
    description: 'The chain order, as stage names; stages not listed keep their default place after these.',
    items: { type: 'string', enum: [...DEFAULT_ORDER] },
  };
  return { type: 'object', required: ['kind'], additionalProperties: false, properties };
}

/** "logit_bias → repetition_penalty → …": the default order as the settings description prints it. */
export function defaultOrderText(): string {
  return DEFAULT_ORDER.map((t) => stageDefinition(t).type).join(' → ');
}
