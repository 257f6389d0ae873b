/**
 * Logit bias (OpenAI's logit_bias; llama.cpp --logit-bias and the server's `logit_bias`, which
 * also takes strings): adds a fixed bias to chosen tokens' logits; `false` bans a token. A key is
 * a token id ("15043") or a text, whose tokens (as the model's tokenizer splits it) all get the bias.
 */
import { addToTokens } from './candidates';
import { SamplingConfigError } from './checkParam';
import { defineStage, type TokenVocabulary } from './stage';

/** Token ids and biases for a bias map; texts need the vocabulary. */
export function resolveLogitBias(bias: Record<string, number | false>, vocabSize: number, vocabulary?: TokenVocabulary): { tokens: number[]; deltas: number[] } {
  const tokens: number[] = [];
  const deltas: number[] = [];
  for (const [key, value] of Object.entries(bias)) {
    const delta = value === false ? -Infinity : value;
    if (/^\d+$/.test(key)) {
      const id = Number(key);
      if (id >= vocabSize) throw new SamplingConfigError(`logit_bias names token ${id}, but the vocabulary has ${vocabSize} tokens (ids 0 … ${vocabSize - 1}).`, 'logit_bias');
      tokens.push(id);
      deltas.push(delta);
      continue;
    }
    if (!vocabulary) throw new SamplingConfigError(`logit_bias by text (${JSON.stringify(key)}) needs the model's tokenizer; give token ids, or run it with a model.`, 'logit_bias');
    for (const id of vocabulary.encode(key)) {
      tokens.push(id);
      deltas.push(delta);
    }
  }
  return { tokens, deltas };
}

/**
 * One bias written as text: "TEXT=BIAS" (a token id or any text; BIAS a number, or "ban" /
 * "false" / "-inf"), or llama.cpp's "ID+BIAS" / "ID-BIAS". Undefined when it is neither.
 */
export function parseBiasEntry(item: string): [string, number | false] | undefined {
  const m = /^(\d+)([+-]\d*\.?\d+(?:e[+-]?\d+)?)$/i.exec(item.trim()) ?? /^(.+)=([^=]+)$/s.exec(item);
  const key = m?.[1];
  const raw = m?.[2]?.trim();
  if (!key || raw === undefined) return undefined;
  const n = raw === 'ban' || raw === 'false' || raw === '-inf' ? false : Number(raw);
  if (n !== false && (raw === '' || !Number.isFinite(n))) return undefined;
  return [key.replace(/\\n/g, '\n'), n];
}

export function logitBiasLabel(bias: Record<string, number | false>): string {
  const parts = Object.entries(bias).map(([k, v]) => `${/^\d+$/.test(k) ? k : JSON.stringify(k)}: ${v === false ? 'ban' : v > 0 ? `+${v}` : v}`);
  return `logit_bias(${parts.join(', ')})`;
}

export const logitBiasStage = defineStage<'logit_bias'>({
  type: 'logit_bias',
  aliases: ['logit-bias', 'bias'],
  title: 'Logit bias',
  summary: 'Adds a bias to chosen tokens (by id, or every token of a text); false bans (OpenAI logit_bias; llama.cpp --logit-bias).',
  params: [{ kind: 'bias', field: 'bias', setting: 'logitBias', flag: '--logit-bias', help: 'logit bias: a token id or a text, and the bias added to its logit (false bans it)', enables: true }],
  label: (s) => logitBiasLabel(s.bias),
  isNoOp: (s) => Object.values(s.bias).every((v) => v === 0),
  omitWhenNoOp: true,
  keepsTop: false,
  readsProbabilities: () => false,
  rewritesFewLogits: true,
  create: (s, env) => {
    const { tokens, deltas } = resolveLogitBias(s.bias, env.vocabSize, env.vocabulary);
    return { apply: (c) => addToTokens(c, tokens, deltas, tokens.length) };
  },
});
