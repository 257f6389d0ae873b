/**
 * Finishing inside the token budget. A grammar guarantees the output can still become valid, not
 * that it will before the budget ends: the model can ramble inside a string, or open one more
 * object, until the budget is gone and the document is cut off with required keys missing. So
 * the glue plans a short valid completion from the grammar's own state (XGrammar's matcher,
 * stepped forward and rolled back): the pending required keys, closing quotes and brackets, a
 * string's minimum length, all come out of the grammar, not out of a model of JSON here. When the
 * budget left reaches the plan's length, decoding follows the plan: only tokens that spell a
 * prefix of it stay allowed (the model still picks among them, longer tokens finish sooner).
 * A plan is planned in bytes (a byte-level vocabulary has a token for each), then counted in
 * tokens by taking the longest token that spells its next bytes, again and again: that path is
 * one the grammar allows, so the count is one decoding can keep. While following the plan, a
 * token stays allowed only if the rest of the plan still fits the budget after it.
 */
import type { CompiledSchema, TokenMatcher } from './engines/types';

/** A matcher the planner can step back (XGrammar's). */
export type RollbackMatcher = TokenMatcher & { rollBack(tokens: number): void };

/** The longest plan tried before giving up (a pattern the greedy choice cannot finish). */
export const MAX_PLAN_BYTES = 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SPACE = 0x20;
/** Outside a string: what closes first, then what a short value starts with. */
const OUTSIDE_ORDER = Array.from('}],: "0123456789-[{ntf.eE+', (c) => c.charCodeAt(0));
/**
 * Inside a string, after the closing quote: among the characters the grammar allows now but did
 * not at the string's previous character (its next step: the `@` once an email has a local part,
 * the `/` once a segment of "iglu:vendor/name" has a character), the least used so far; else the
 * least used of the others, never one of the string's last two. Ties go by this order, separators
 * first: letters first (and least used alone) walked the whole alphabet before each separator
 * (an email of 80 characters, longer than the budget left: Github_hard---o34872.json).
 */
const INSIDE_ORDER = Array.from('-_.:/@abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ ', (c) => c.charCodeAt(0));

export interface ClosingPlanner {
  /**
   * The bytes of a short completion from the matcher's state (empty when a stop token may come
   * now), or undefined when none was found within MAX_PLAN_BYTES. `inString`/`escaped` say where
   * the output stands. The matcher is left where it was.
   */
  plan(matcher: RollbackMatcher, inString: boolean, escaped: boolean): Promise<Uint8Array | undefined>;
}

/** A planner for one vocabulary (`bytes`: each token's bytes). */
export function createClosingPlanner(bytes: readonly Uint8Array[], eosTokenIds: readonly number[], vocabSize: number): ClosingPlanner | undefined {
  const byteToken = new Int32Array(256).fill(-1);
  bytes.forEach((b, id) => {
    if (b.length === 1 && byteToken[b[0]!] === -1) byteToken[b[0]!] = id;
  });
  // Without a token per printable byte a plan's length says nothing about tokens: no planner.
  for (let b = 0x20; b < 0x7f; b++) if (byteToken[b] === -1) return undefined;
  const used = new Uint16Array(256);
  /** Only for a matcher without allowedBits. */
  let row: Float32Array | undefined;
  // One row for every sequence of a batch: plans run one at a time.
  let busy: Promise<unknown> = Promise.resolve();
  const planner: ClosingPlanner = {
    plan(matcher, inString, escaped) {
      const run = busy.then(() => planOnce(matcher, inString, escaped));
      busy = run.catch(() => {});
      return run;
    },
  };
  return planner;

  async function planOnce(matcher: RollbackMatcher, inStringAtStart: boolean, escapedAtStart: boolean): Promise<Uint8Array | undefined> {
    const out: number[] = [];
    let inString = inStringAtStart;
    let escaped = escapedAtStart;
    used.fill(0);
    /** Where in `out` the current string's characters begin (0 when the plan starts inside one). */
    let stringStart = 0;
    /** The characters allowed at the string's previous character: one allowed only now is the grammar's next step. */
    const allowedBefore = new Uint8Array(256).fill(1);
    try {
      for (;;) {
        // Only the one-byte tokens and the stop tokens matter here: read their bits where the
        // engine gives them (at 151,936 tokens a full row per planned byte made plans take 25–250 ms).
        let isAllowed: (token: number) => boolean;
        if (matcher.allowedBits) {
          const bits = await matcher.allowedBits();
          isAllowed = (t) => t >>> 5 < bits.length && ((bits[t >>> 5]! >>> (t & 31)) & 1) === 1;
        } else {
          const full = (row ??= new Float32Array(vocabSize));
          full.fill(0);
          await matcher.mask(full);
          isAllowed = (t) => full[t] !== -Infinity;
        }
        if (!inString && eosTokenIds.some(isAllowed)) return Uint8Array.from(out);
        if (out.length >= MAX_PLAN_BYTES) return undefined;
        // Outside a string, one space in a row is all a grammar can ask for: where the closing
        // brackets are not yet allowed (a second mask wants an item first), the grammar's optional
        // spaces would otherwise fill the plan until it gives up.
        const repeatsSpace = (b: number) => !inString && b === SPACE && out[out.length - 1] === SPACE;
        const allowed = (b: number) => byteToken[b]! >= 0 && !repeatsSpace(b) && isAllowed(byteToken[b]!);
        let pick = -1;
        if (inString && !escaped) {
          if (allowed(QUOTE)) pick = QUOTE;
          else {
            const recent = (b: number) => out.lastIndexOf(b) >= Math.max(stringStart, out.length - 2);
            const leastUsed = (bs: number[]) => bs.reduce((best, b) => (best < 0 || used[b]! < used[best]! ? b : best), -1);
            const fresh = INSIDE_ORDER.filter((b) => allowed(b) && !allowedBefore[b]);
            pick = fresh.length > 0 ? leastUsed(fresh) : leastUsed(INSIDE_ORDER.filter((b) => allowed(b) && !recent(b)));
            if (pick < 0) pick = INSIDE_ORDER.find(allowed) ?? -1;
            allowedBefore.fill(0);
            for (const b of INSIDE_ORDER) if (allowed(b)) allowedBefore[b] = 1;
          }
        } else if (!inString) {
          pick = OUTSIDE_ORDER.find(allowed) ?? -1;
        }
        if (pick < 0) for (let b = 0x20; b < 0x100 && pick < 0; b++) if (allowed(b)) pick = b;
        if (pick < 0) return undefined;
        if (!matcher.accept(byteToken[pick]!)) return undefined;
        out.push(pick);
        used[pick]!++;
        if (!inString) {
          inString = pick === QUOTE;
          stringStart = out.length;
          allowedBefore.fill(1);
        } else if (escaped) escaped = false;
        else if (pick === BACKSLASH) escaped = true;
        else if (pick === QUOTE) inString = false;
      }
    } finally {
      if (out.length > 0) matcher.rollBack(out.length);
    }
  }
}

/**
 * `first` (stepped forward and back as the planner goes) together with a fresh matcher of `second`
 * fed `history`, the tokens accepted so far: a plan walked on it is one both engines accept, so
 * following it never breaks a keyword only the second engine enforces. The second engine cannot
 * step back, so each plan replays the history on a matcher of its own; dispose it after the plan.
 */
export async function withShadow(first: RollbackMatcher, second: CompiledSchema, history: readonly number[]): Promise<RollbackMatcher> {
  if (!second.createMatcherAfter) throw new Error('the second engine cannot replay tokens, so the closing phase cannot plan on it');
  const shadow = await second.createMatcherAfter(history);
  return {
    async mask(row) {
      await first.mask(row);
      return shadow.mask(row);
    },
    // The shadow first: a token it refuses leaves `first` where it was (the planner gives up there).
    accept: (token) => shadow.accept(token) && first.accept(token),
    isTerminated: () => first.isTerminated() || shadow.isTerminated(),
    // The planner rolls back all it accepted, at the end of a plan: the shadow is then dropped.
    rollBack: (tokens) => first.rollBack(tokens),
    dispose: () => shadow.dispose(),
  };
}

/** Counts a plan in tokens: the longest token spelling the next bytes, each time. */
export interface PlanCounter {
  /** Tokens the plan takes, or Infinity when some byte has no token. */
  count(plan: Uint8Array): number;
}

export function createPlanCounter(bytes: readonly Uint8Array[], usable: (token: number) => boolean): PlanCounter {
  const byText = new Map<string, number>();
  let longest = 1;
  bytes.forEach((b, id) => {
    if (b.length === 0 || !usable(id)) return;
    const key = latin1(b, 0, b.length);
    if (!byText.has(key)) byText.set(key, id);
    longest = Math.max(longest, b.length);
  });
  return {
    count(plan) {
      let tokens = 0;
      for (let at = 0; at < plan.length; tokens++) {
        let step = 0;
        for (let length = Math.min(longest, plan.length - at); length > 0 && step === 0; length--) if (byText.has(latin1(plan, at, at + length))) step = length;
        if (step === 0) return Infinity;
        at += step;
      }
      return tokens;
    },
  };
}

function latin1(b: Uint8Array, from: number, to: number): string {
  let text = '';
  for (let i = from; i < to; i++) text += String.fromCharCode(b[i]!);
  return text;
}

/** Whether a token spelled `token` is a prefix of `plan` after which the rest takes at most `room` tokens. */
export function fitsPlan(token: Uint8Array, plan: Uint8Array, room: number, counter: PlanCounter): boolean {
  if (token.length === 0 || token.length > plan.length) return false;
  for (let k = 0; k < token.length; k++) if (token[k] !== plan[k]) return false;
  return counter.count(plan.subarray(token.length)) <= room;
}

/**
 * Forbids every allowed token that does not spell a prefix of `plan`, or after which the rest of
 * the plan no longer fits in `left - 1` tokens; with the plan done, only stop tokens stay.
 * Returns how many tokens stay allowed.
 */
export function keepPlanPrefix(row: Float32Array, plan: Uint8Array, left: number, counter: PlanCounter, bytes: readonly Uint8Array[], eosTokenIds: readonly number[]): number {
  let kept = 0;
  const n = Math.min(row.length, bytes.length);
  for (let t = 0; t < n; t++) {
    if (row[t] === -Infinity) continue;
    const ok = plan.length === 0 ? eosTokenIds.includes(t) : fitsPlan(bytes[t]!, plan, left - 1, counter);
    if (ok) kept++;
    else row[t] = -Infinity;
  }
  for (let t = n; t < row.length; t++) if (row[t] !== -Infinity) kept++;
  return kept;
}
