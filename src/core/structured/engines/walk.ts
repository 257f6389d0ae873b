/**
 * Drives a matcher through a given text instead of a model's samples: at each step it takes the
 * longest allowed token that spells the text's next bytes. The bench times masks this way and
 * probes which keywords an engine enforces; tests use it to show a matcher accepts a document.
 */
import type { ConstraintVocab, TokenMatcher } from './types';

/** The bytes each token stands for (empty for special tokens, which spell no text). */
export function tokenBytesOf(vocab: ConstraintVocab): Uint8Array[] {
  const special = new Set<number>();
  const added = vocab.tokenizerJson.added_tokens;
  if (Array.isArray(added)) for (const a of added as Array<{ id: number; special?: boolean }>) if (a.special) special.add(a.id);
  const encoder = new TextEncoder();
  const byteOf = vocab.vocabType === 'byte_level' ? byteLevelDecoder() : undefined;
  return vocab.encodedTokens.map((token, id) => {
    if (special.has(id)) return new Uint8Array(0);
    if (byteOf) return Uint8Array.from(Array.from(token, (ch) => byteOf.get(ch) ?? 0x3f));
    const fallback = /^<0x([0-9A-Fa-f]{2})>$/.exec(token);
    if (fallback) return Uint8Array.of(parseInt(fallback[1]!, 16));
    return encoder.encode(token.replace(/▁/g, ' '));
  });
}

export interface WalkResult {
  /** The matcher took every byte of the text, then allowed a stop token. */
  accepted: boolean;
  tokens: number[];
  /** Milliseconds of each mask call, one per step (the last one asks whether a stop token may follow). */
  maskMs: number[];
  allowed: number[];
}

export async function walkText(matcher: TokenMatcher, vocab: ConstraintVocab, bytes: readonly Uint8Array[], text: string, now = () => performance.now()): Promise<WalkResult> {
  const row = new Float32Array(vocab.vocabSize);
  const rest = new TextEncoder().encode(text);
  let at = 0;
  const result: WalkResult = { accepted: false, tokens: [], maskMs: [], allowed: [] };
  for (;;) {
    row.fill(0);
    const t0 = now();
    const allowed = await matcher.mask(row);
    result.maskMs.push(now() - t0);
    result.allowed.push(allowed);
    if (at === rest.length) {
      result.accepted = vocab.eosTokenIds.some((e) => row[e] !== -Infinity);
      return result;
    }
    let best = -1;
    let bestLength = 0;
    for (let t = 0; t < bytes.length; t++) {
      const b = bytes[t]!;
      if (row[t] === -Infinity || b.length <= bestLength || at + b.length > rest.length) continue;
      let same = true;
      for (let k = 0; k < b.length && same; k++) same = b[k] === rest[at + k];
      if (same) {
        best = t;
        bestLength = b.length;
      }
    }
    if (best < 0 || !matcher.accept(best)) return result;
    result.tokens.push(best);
    at += bestLength;
  }
}

/** GPT-2's byte-level alphabet, reversed: printable bytes stand for themselves, the rest from U+0100 on. */
function byteLevelDecoder(): Map<string, number> {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const map = new Map<string, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) map.set(String.fromCharCode(printable(b) ? b : 256 + extra++), b);
  return map;
}

/** JSON on one line with ", " and ": " separators: the layout constrained decoding produces (xgrammar.ts). */
export function oneLineJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(oneLineJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${oneLineJson(v)}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}
