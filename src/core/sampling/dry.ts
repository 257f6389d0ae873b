/**
 * DRY, "Don't Repeat Yourself" (p-e-w, oobabooga/text-generation-webui PR #5677; llama.cpp
 * PR #9702, the server's dry_* parameters): if the last n tokens of the context already appeared
 * earlier, followed by token t, then t would extend a repeat of length n; when n ≥ allowedLength,
 * t's logit loses multiplier × base^(n − allowedLength). A repeat never reaches back across a
 * sequence breaker, and a breaker token itself is never penalised.
 *
 * As in llama.cpp, the repeat lengths come from the Z-algorithm over the reversed context, so a
 * step costs O(context), not O(context²). Breakers given as text mark every token whose text
 * contains one (llama.cpp matches the breaker's token sequences; see docs/samplers.md).
 */
import { addToTokens } from './candidates';
import { checkParam } from './checkParam';
import { defineStage, show, type TokenVocabulary } from './stage';
import type { CandidateSet } from './types';

export const DEFAULT_DRY_BREAKERS: readonly string[] = ['\n', ':', '"', '*'];

/** llama.cpp clamps base^exponent below float32's max. */
const FLOAT_MAX_LOG = 88.7228391;

/** Per vocabulary: which tokens break a repeat, for each list of breaker texts (built once). */
const breakerCache = new WeakMap<TokenVocabulary, Map<string, Uint8Array>>();

export function breakerMask(vocabSize: number, texts: readonly string[], vocabulary?: TokenVocabulary, ids: readonly number[] = []): Uint8Array {
  const key = JSON.stringify(texts);
  const cached = vocabulary && texts.length > 0 ? breakerCache.get(vocabulary)?.get(key) : undefined;
  const mask = cached ? Uint8Array.from(cached) : new Uint8Array(vocabSize);
  if (!cached && vocabulary && texts.length > 0) {
    for (let t = 0; t < vocabSize; t++) {
      const text = vocabulary.tokenText(t);
      if (texts.some((b) => b.length > 0 && text.includes(b))) mask[t] = 1;
    }
    const perVocab = breakerCache.get(vocabulary) ?? new Map<string, Uint8Array>();
    perVocab.set(key, Uint8Array.from(mask));
    breakerCache.set(vocabulary, perVocab);
  }
  for (const id of ids) if (id >= 0 && id < vocabSize) mask[id] = 1;
  return mask;
}

export interface DryParams {
  multiplier: number;
  base: number;
  allowedLength: number;
  /** Tokens of history to look at; -1 is all of it, 0 disables. */
  lastN: number;
}

/** A DRY stage's reusable buffers (context-sized, grown as needed). */
export class DryState {
  private repeat = new Int32Array(64);
  private window = new Int32Array(64);

  apply(c: CandidateSet, history: ArrayLike<number>, params: DryParams, breakers: Uint8Array): void {
    const { multiplier, base, allowedLength, lastN } = params;
    if (multiplier === 0 || lastN === 0 || history.length < 2) return;
    const start = lastN < 0 ? 0 : Math.max(0, history.length - lastN);
    const n = history.length - start;
    if (this.window.length < n) {
      this.window = new Int32Array(n * 2);
      this.repeat = new Int32Array(n * 2);
    }
    const win = this.window;
    for (let i = 0; i < n; i++) win[i] = history[start + i]!;
    // rat(i): the i-th token from the end, as in llama.cpp.
    const rat = (i: number) => win[n - 1 - i]!;

    // Step 1: a repeat can reach back at most to the nearest breaker.
    let repLimit = n;
    for (let i = 0; i < n; i++) {
      if (breakers[rat(i)] === 1) {
        repLimit = i;
        break;
      }
    }
    if (repLimit < allowedLength) return;

    // Step 2: Z-algorithm over the reversed window; repeat[e] is how many tokens ending at e
    // equal the context's last tokens.
    const repeat = this.repeat;
    repeat.fill(0, 0, n);
    const last = n - 1;
    let lt = 0;
    let rt = 0;
    for (let k = 1; k < n; k++) {
      if (k > rt) {
        let m = 0;
        while (m + k < n && rat(m) === rat(m + k)) m++;
        repeat[last - k] = Math.min(m, repLimit);
        if (m > 0) {
          lt = k;
          rt = k + m - 1;
        }
      } else {
        const p = k - lt;
        const rightPartLen = rt - k + 1;
        if (repeat[last - p]! < rightPartLen) {
          repeat[last - k] = Math.min(repeat[last - p]!, repLimit);
        } else {
          let i = rt + 1;
          while (i < n && rat(i) === rat(i - k)) i++;
          repeat[last - k] = Math.min(i - k, repLimit);
          lt = k;
          rt = i - 1;
        }
      }
    }

    // Step 3: the token after each long enough repeat would extend it; keep its longest.
    const longest = new Map<number, number>();
    for (let i = 0; i < n - 1; i++) {
      const len = repeat[i]!;
      if (len < allowedLength) continue;
      const token = win[i + 1]!;
      if (token < 0 || token >= c.vocabSize || breakers[token] === 1) continue;
      if ((longest.get(token) ?? 0) < len) longest.set(token, len);
    }
    if (longest.size === 0) return;

    // Step 4: the penalties.
    const maxExponent = base > 1.000001 ? Math.floor(FLOAT_MAX_LOG / Math.log(base)) : 0;
    const tokens: number[] = [];
    const deltas: number[] = [];
    for (const [token, len] of longest) {
      let exponent = len - allowedLength;
      if (maxExponent > 0 && exponent > maxExponent) exponent = maxExponent;
      tokens.push(token);
      deltas.push(-multiplier * Math.pow(base, exponent));
    }
    addToTokens(c, tokens, deltas, tokens.length);
  }
}

export function dryLabel(s: { multiplier: number; base?: number; allowedLength?: number; lastN?: number }): string {
  return `dry(${show(s.multiplier)}, base ${show(s.base ?? 1.75)}, allowed ${s.allowedLength ?? 2}${(s.lastN ?? -1) === -1 ? '' : `, last_n=${s.lastN}`})`;
}

export const dryStage = defineStage<'dry'>({
  type: 'dry',
  aliases: ['dont_repeat_yourself'],
  title: 'DRY',
  summary: 'Penalises the token that would extend a repeat of the context by multiplier × base^(length − allowed length); sequence breakers stop a repeat (p-e-w, text-generation-webui PR #5677; llama.cpp PR #9702).',
  params: [
    { kind: 'number', field: 'multiplier', setting: 'dryMultiplier', flag: '--dry-multiplier', help: 'DRY multiplier (≥ 0; 0 is off; 0.8 is a common choice)', enables: true, min: 0, max: Infinity, default: 0.8, control: { min: 0, max: 3, step: 0.1 } },
    { kind: 'number', field: 'base', setting: 'dryBase', flag: '--dry-base', help: 'DRY base: how fast the penalty grows with the repeat length (≥ 1)', min: 1, max: Infinity, default: 1.75, control: { min: 1, max: 4, step: 0.05 } },
    { kind: 'number', field: 'allowedLength', setting: 'dryAllowedLength', flag: '--dry-allowed-length', help: 'DRY: repeats up to this long go unpenalised (integer ≥ 1)', min: 1, max: Infinity, integer: true, default: 2, control: { min: 1, max: 10, step: 1 } },
    { kind: 'number', field: 'lastN', setting: 'dryPenaltyLastN', flag: '--dry-penalty-last-n', help: 'DRY: tokens of history to scan (integer; -1 is all, 0 is off)', min: -1, max: Infinity, integer: true, default: -1, control: { min: -1, max: 8192, step: 64 } },
    { kind: 'texts', field: 'breakers', setting: 'drySequenceBreakers', flag: '--dry-sequence-breaker', help: 'DRY sequence breakers: a repeat never reaches back across a token containing one (default \\n : " *)', default: DEFAULT_DRY_BREAKERS },
  ],
  label: dryLabel,
  isNoOp: (s) => s.multiplier === 0 || s.lastN === 0,
  omitWhenNoOp: true,
  keepsTop: false,
  readsProbabilities: () => false,
  rewritesFewLogits: true,
  create: (s, env) => {
    checkParam(dryStage, 'multiplier', s.multiplier);
    const breakers = breakerMask(env.vocabSize, s.breakers ?? DEFAULT_DRY_BREAKERS, env.vocabulary, s.breakerTokens);
    const params: DryParams = { multiplier: s.multiplier, base: s.base ?? 1.75, allowedLength: s.allowedLength ?? 2, lastN: s.lastN ?? -1 };
    const state = new DryState();
    return { apply: (c, ctx) => state.apply(c, ctx.history, params, breakers) };
  },
});
