/**
 * A seeded PRNG: xoshiro128** (Blackman and Vigna), seeded through splitmix32, and the rule that
 * gives every sequence its own seed. Only 32-bit integer arithmetic (Math.imul, shifts), so one
 * seed gives the same stream on every JS engine, in the extension host, the webview worker and
 * the CLI alike.
 */

export interface Rng {
  /** A uniform double in [0, 1), with 53 random bits. */
  next(): number;
  /** A uniform unsigned 32-bit integer. */
  nextUint32(): number;
}

/** splitmix32: spreads a 32-bit seed over the state so nearby seeds give unrelated streams. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  return fmix32(state.s) >>> 0;
}

/**
 * Same seed, same stream. The seed is any finite number; its integer part is used, low 32 bits
 * and high bits both, so neighbouring seeds give independent streams.
 */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number (got ${seed}).`);
  const whole = Math.trunc(seed);
  const low = whole >>> 0;
  const high = Math.floor(whole / 4294967296) >>> 0;
  const mix = { s: (low ^ Math.imul(high, 0x27d4eb2d)) | 0 };
  return xoshiro128ss(splitmix32(mix), splitmix32(mix), splitmix32(mix), splitmix32(mix));
}

/**
 * The seed of sample `index` of `prompt` under the base `seed`: an unsigned 32-bit hash of all
 * three. Why not `seed + index`: then every prompt's sample i drew the same uniforms, so over many
 * prompts (a risk evaluation, a prompt test suite) agreement between samples depended on the base
 * seed. Hashing the prompt in makes prompts independent; the index keeps samples of one prompt
 * apart; the same three inputs give the same seed on every engine, so runs stay reproducible and
 * batched and sequential decoding still agree. Decode the sequence with `createRng(sequenceSeed(…))`.
 */
export function sequenceSeed(seed: number, prompt: string, index: number): number {
  if (!Number.isInteger(seed) || !Number.isInteger(index) || index < 0) {
    throw new RangeError(`sequenceSeed needs an integer seed and a sample index ≥ 0 (got ${seed}, ${index}).`);
  }
  let h = fmix32(Math.trunc(seed) ^ Math.imul(Math.floor(seed / 4294967296), 0x27d4eb2d) ^ 0x5bd1e995);
  h = fmix32((h ^ textHash(prompt)) + 0x9e3779b9);
  h = fmix32((h ^ (index >>> 0)) + Math.imul(Math.floor(index / 4294967296), 0x85ebca6b) + 0x7f4a7c15);
  return h >>> 0;
}

/** FNV-1a over the UTF-16 code units: the same text gives the same 32 bits everywhere. */
function textHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

/** MurmurHash3's finaliser: every input bit reaches every output bit. */
function fmix32(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/** xoshiro128** from an explicit 128-bit state (not all zero), as in the reference C code. */
export function xoshiro128ss(s0: number, s1: number, s2: number, s3: number): Rng {
  let a = s0 | 0;
  let b = s1 | 0;
  let c = s2 | 0;
  let d = s3 | 0;
  if ((a | b | c | d) === 0) a = 1;

  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };

  return {
    nextUint32,
    next: () => {
      const high27 = nextUint32() >>> 5;
      const low26 = nextUint32() >>> 6;
      return (high27 * 67108864 + low26) / 9007199254740992;
    },
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
