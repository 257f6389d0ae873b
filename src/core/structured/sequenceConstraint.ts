/**
 * One sequence's matcher over a compiled schema (constraint.ts picks the engines and compiles):
 * both masks intersected, the tokens no output needs forbidden, and the closing phase that
 * finishes the document inside the token budget, planned from XGrammar's state (closing.ts) or,
 * with transformers-structured-output alone, by a reserve of closing-class tokens.
 */
import { createClosingPlanner, createPlanCounter, fitsPlan, keepPlanPrefix, MAX_PLAN_BYTES, withShadow, type ClosingPlanner, type PlanCounter, type RollbackMatcher } from './closing';
import type { CompiledSchema, ConstraintVocab, TokenMatcher } from './engines/types';
import { tokenBytesOf } from './engines/walk';
import { UnsupportedSchemaError, type SchemaSequenceConstraint } from './constraintTypes';

/** Built once per engines object (per model) and shared by its sequences. */
export interface SequenceShared {
  tables?: TokenTables;
  planner?: ClosingPlanner | null;
}

export interface SequenceContext {
  /** The engine(s), for messages. */
  label: string;
  compiled: readonly CompiledSchema[];
  /** Why these engines: named when the closing phase finds no plan. */
  why: string;
  /** Whether the closing phase may plan from the first matcher (XGrammar's; not transformers-structured-output's alone). */
  plans: boolean;
  vocab: ConstraintVocab;
  shared: SequenceShared;
}

/** A fresh matcher for one sequence; with `budget` (the sequence's real one), it closes the document before the budget runs out. */
export async function createSequenceConstraint({ label, compiled, why, plans, vocab, shared }: SequenceContext, budget?: { maxNewTokens: number }): Promise<SchemaSequenceConstraint> {
  const tables = (shared.tables ??= tokenTables(vocab));
  const matchers = await Promise.all(compiled.map((c) => c.createMatcher()));
  const matcher = intersect(matchers);
  const eos = vocab.eosTokenIds[0] ?? 0;
  // XGrammar's matcher steps back, so the closing phase plans from its state (closing.ts);
  // transformers-structured-output alone keeps the older reserve of closing-class tokens.
  const planning = plans && matchers[0]!.rollBack ? (matchers[0] as RollbackMatcher) : undefined;
  const planner = planning ? (shared.planner ??= createClosingPlanner(tables.bytes, vocab.eosTokenIds, vocab.vocabSize) ?? null) : null;
  // With both masks, a plan must satisfy the second engine too: XGrammar's shortest completion
  // can break what only the other enforces (`contains`, `multipleOf`, `oneOf`, a `minLength`
  // beside a pattern). So the planner walks both (closing.ts: withShadow), on the tokens so far.
  const second = compiled.length > 1 ? compiled[1] : undefined;
  const history: number[] = [];
  /**
   * A plan from the state now, or (with `after`) from the state after that token, which is
   * then stepped back. On both masks where there are two, unless `xgrammarOnly`.
   */
  const planFrom = async (inString: boolean, escaped: boolean, after?: number, xgrammarOnly = false) => {
    if (after !== undefined && !planning!.accept(after)) return undefined;
    try {
      if (!second || xgrammarOnly) return await planner!.plan(planning!, inString, escaped);
      const both = await withShadow(planning!, second, after === undefined ? history : [...history, after]);
      try {
        return await planner!.plan(both, inString, escaped);
      } finally {
        both.dispose();
      }
    } finally {
      if (after !== undefined) planning!.rollBack(1);
    }
  };
  /**
   * Near the end, one token can lengthen the shortest completion past the budget left (a `,`
   * that opens one more array item of required keys: 2 tokens to close became 11 with 10
   * left, JsonSchemaStore---sarif-1.0.0.json), and the closing phase then meets a dead end.
   * So there, a token stays allowed only if it is shown to leave room: a prefix of the plan
   * whose rest fits, or one of the model's VERIFY_TOKENS likeliest after which a plan fits.
   * The rest are forbidden unseen (a plan per token of the vocabulary is too costly); the
   * plan's own first token always stays, so this never leaves no token.
   */
  /** keepRoomy's plans after the tokens it showed to leave room, this step. */
  const plansAfter = new Map<number, Uint8Array>();
  const keepRoomy = async (row: Float32Array, plan: Uint8Array, left: number): Promise<number> => {
    const room = left - 1;
    const keep = new Set<number>();
    const n = Math.min(row.length, tables.bytes.length);
    for (let t = 0; t < n; t++) if (row[t] !== -Infinity && (vocab.eosTokenIds.includes(t) || fitsPlan(tables.bytes[t]!, plan, room, tables.counter))) keep.add(t);
    const fits = (plan: Uint8Array | undefined): plan is Uint8Array => plan !== undefined && tables.counter.count(plan) <= room;
    let confirmed = 0;
    plansAfter.clear();
    for (const t of likeliest(row, VERIFY_TOKENS, (t) => !keep.has(t))) {
      if (second && confirmed === VERIFY_BOTH) break;
      const after = text!.after(tables.bytes[t] ?? EMPTY);
      let plan = after.escaped ? undefined : await planFrom(after.inString, false, t, true);
      if (!fits(plan)) continue;
      // XGrammar's plan first (fast); with both masks, a plan on both confirms it, for the
      // likeliest VERIFY_BOTH only: each replays the whole output on a fresh second matcher.
      if (second) {
        confirmed++;
        plan = await planFrom(after.inString, false, t);
        if (!fits(plan)) continue;
      }
      keep.add(t);
      plansAfter.set(t, plan);
    }
    let kept = 0;
    for (let t = 0; t < row.length; t++) {
      if (row[t] === -Infinity) continue;
      if (keep.has(t) || t >= n) kept++;
      else row[t] = -Infinity;
    }
    return kept;
  };
  if (budget && planner && planning) {
    const shortest = await planFrom(false, false);
    if (shortest === undefined && second) {
      matcher.dispose();
      throw new UnsupportedSchemaError(
        `The closing phase found no document of this schema that both masks accept, to finish on when the budget of ${budget.maxNewTokens} tokens runs out ` +
          `(${why}; the planner follows the grammar a byte at a time and gave up after ${MAX_PLAN_BYTES} bytes), so a document could be cut off invalid. Nothing was decoded; ` +
          'the other routes still run, and ajv still validates their output.',
      );
    }
    const tokens = shortest === undefined ? 0 : tables.counter.count(shortest);
    if (tokens > budget.maxNewTokens) {
      matcher.dispose();
      throw new UnsupportedSchemaError(
        `The shortest valid document for this schema takes ${tokens} tokens, more than the budget of ${budget.maxNewTokens}: ` +
          `raise max new tokens to at least ${tokens}. Nothing was decoded.`,
      );
    }
  }
  const reserve = budget ? closingReserve(budget.maxNewTokens) : 0;
  let step = 0;
  let closingFromStep: number | undefined;
  let deadEndAtStep: number | undefined;
  const text = budget ? new StringState() : undefined;
  /** The completion being followed, once the budget left has reached its length. */
  let forced: Uint8Array | undefined;
  let plannedLength = 0;
  let plannedAt = -Infinity;
  /** This step's plan, when one was made (near the end: every step). */
  let planNow: Uint8Array | undefined;
  /**
   * The rest of the last plan, while the tokens taken since spell its beginning; or the plan
   * keepRoomy made after the token taken. Near the end every allowed token has one, so the
   * next step plans nothing new (a plan on both masks replays the whole output).
   */
  let planRest: Uint8Array | undefined;
  return {
    get closingFromStep() {
      return closingFromStep;
    },
    get deadEndAtStep() {
      return deadEndAtStep;
    },
    async mask(row) {
      const left = budget ? budget.maxNewTokens - step : Infinity;
      if (budget && planner && planning && forced === undefined && !text!.escaped) {
        // Plan near the end every step (a token can lengthen the plan), elsewhere now and then
        // (and only now and then after a plan was not found: each try walks up to MAX_PLAN_BYTES).
        if (nearEnd(left, plannedLength) || step - plannedAt >= PLAN_EVERY) {
          const fresh = planRest !== undefined && nearEnd(left, plannedLength) ? undefined : await planFrom(text!.inString, text!.escaped);
          // The planner is greedy: after a token on its last plan it can choose a longer way
          // (`"set-term"` and its required keys instead of the `"set-variable"` it had begun:
          // 103 tokens became 108 with 104 left, Github_hard---o17383.json). The rest of the
          // last plan is still a completion both masks accept: the shorter one is kept.
          const plan = planRest !== undefined && (fresh === undefined || tables.counter.count(planRest) <= tables.counter.count(fresh)) ? planRest : fresh;
          plannedAt = step;
          planNow = plan;
          planRest = plan;
          plannedLength = plan ? tables.counter.count(plan) : Infinity;
          if (plan && left <= plannedLength + 1) forced = plan;
        }
      }
      const maskOnce = async () => {
        let n = await matcher.mask(row);
        for (const id of tables.neverValidIds) {
          if (row[id] !== -Infinity) {
            row[id] = -Infinity;
            n--;
          }
        }
        return n;
      };
      let allowed = await maskOnce();
      if (forced && allowed > 0) allowed = keepPlanPrefix(row, forced, left, tables.counter, tables.bytes, vocab.eosTokenIds);
      else if (!forced && allowed > 0 && planNow && plannedAt === step && nearEnd(left, plannedLength)) allowed = await keepRoomy(row, planNow, left);
      if (forced) closingFromStep ??= step;
      if (allowed === 0) {
        // A dead end: end the sequence here, and ajv will say why.
        deadEndAtStep = step;
        row.fill(-Infinity);
        row[eos] = 0;
      } else if (!forced && budget && !planner && left <= reserve && !text!.escaped) {
        closingFromStep ??= step;
        allowed = keepClosingTokens(row, text!.inString ? tables.inString : tables.outside);
      }
      step++;
      return allowed;
    },
    accept(token) {
      if (deadEndAtStep !== undefined) return;
      if (!matcher.accept(token)) {
        throw new Error(`${label} rejected token ${token}, which its own mask allowed: please report this schema.`);
      }
      const spelled = tables.bytes[token] ?? EMPTY;
      if (text) text.follow(spelled);
      if (second) history.push(token);
      if (forced) forced = forced.subarray(Math.min(spelled.length, forced.length));
      planRest = plansAfter.get(token) ?? (planRest !== undefined && startsWith(planRest, spelled) ? planRest.subarray(spelled.length) : undefined);
      plansAfter.clear();
    },
    isComplete: () => deadEndAtStep !== undefined || matcher.isTerminated(),
    dispose: () => matcher.dispose(),
  };
}

/**
 * A token is allowed only if both engines allow it (each writes its -Infinity into the same row).
 * Where the two masks leave no token in common (a prefix both allow that neither can finish the
 * same way: an email with `"maxLength": 5`, or the second engine's own dead ends on bounds of
 * non-integers), the glue ends the sequence there as a dead end: carrying on with XGrammar's mask
 * alone would let out what the schema forbids. The closing phase plans on both (withShadow), so
 * its plan never needs one mask without the other.
 */
function intersect(matchers: readonly TokenMatcher[]): TokenMatcher {
  if (matchers.length === 1) return matchers[0]!;
  const [first, second] = matchers as [TokenMatcher, TokenMatcher];
  return {
    async mask(row) {
      await first.mask(row);
      // The second engine counts what is left after both.
      return second.mask(row);
    },
    accept: (token) => first.accept(token) && second.accept(token),
    isTerminated: () => first.isTerminated() || second.isTerminated(),
    dispose: () => matchers.forEach((m) => m.dispose()),
  };
}

/**
 * The closing phase for transformers-structured-output alone (its matcher cannot step back, so
 * closing.ts cannot plan from it). A grammar guarantees the output can still become valid, not
 * that it will before the token budget ends: at T = 1.5 the model can ramble inside a string until the budget is gone, and the output is
 * cut off. So for the last tokens of the budget the sampler may only pick, among the tokens the
 * grammar allows, those of the best class that moves toward the end. Inside a string: a token that
 * closes it (one unescaped quote), then one that closes and opens the next (a key or an item).
 * Outside: a token of only `}`, `]` and spaces, or a stop token; then one without digits (the next
 * key, a comma), so a number stops growing as soon as it may. Digits are left for a number still
 * short of its bounds. The rest of the way is forced by the grammar (required keys). The model still
 * chooses among the kept tokens, by its own probabilities. Tracking whether the output is inside a
 * string is the only JSON this file knows; the engine does the rest.
 */
function closingReserve(maxNewTokens: number): number {
  return Math.min(Math.max(16, Math.ceil(maxNewTokens / 4)), Math.floor(maxNewTokens / 2));
}

/**
 * Plan every step (and keep only tokens shown to leave room: keepRoomy) once the budget left is
 * within PLAN_WATCH tokens of the last plan's length, or within half the plan's length again: one
 * token can open a structure that long (an array item whose required keys took the plan from 93
 * tokens to 131 with 118 left: Github_hard---o17383.json).
 */
const PLAN_WATCH = 24;
const nearEnd = (left: number, plannedLength: number) => Number.isFinite(plannedLength) && left <= plannedLength + Math.max(PLAN_WATCH, plannedLength / 2);
/** Elsewhere, plan every this many steps. */
const PLAN_EVERY = 16;
/** Near the end, the likeliest tokens off the plan that are each tried with a plan of their own. */
const VERIFY_TOKENS = 4;
/** With both masks, how many of those a plan on both confirms (the rest are forbidden). */
const VERIFY_BOTH = 1;

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** The `count` likeliest allowed tokens (by their logits in `row`) that `wanted` admits, likeliest first. */
function likeliest(row: Float32Array, count: number, wanted: (token: number) => boolean): number[] {
  const best: number[] = [];
  for (let t = 0; t < row.length; t++) {
    const logit = row[t]!;
    if (logit === -Infinity || (best.length === count && logit <= row[best[count - 1]!]!) || !wanted(t)) continue;
    let at = best.length;
    while (at > 0 && row[best[at - 1]!]! < logit) at--;
    best.splice(at, 0, t);
    if (best.length > count) best.pop();
  }
  return best;
}
const EMPTY = new Uint8Array(0);

const BEST = 0;
const NEXT = 1;
const OTHER = 2;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

interface TokenTables {
  bytes: Uint8Array[];
  /**
   * Tokens holding a byte no output needs: below 0x20 (JSON escapes control characters in strings,
   * and the one-line layout has no newlines), or one that never occurs in UTF-8 (0xC0, 0xC1,
   * 0xF5–0xFF). XGrammar allows both inside strings; a stray 0xF5 also leaves the other engine
   * stuck in its string state, never allowing the closing quote again.
   */
  neverValidIds: Int32Array;
  /** Counts a closing plan in tokens (closing.ts), with the tokens the glue never allows left out. */
  counter: PlanCounter;
  /** Class of each token when the output is inside a string, and when it is not. */
  inString: Uint8Array;
  outside: Uint8Array;
}

function tokenTables(vocab: ConstraintVocab): TokenTables {
  const bytes = tokenBytesOf(vocab);
  const neverValid = (x: number) => x < 0x20 || x === 0xc0 || x === 0xc1 || x >= 0xf5;
  const neverValidIds = Int32Array.from(bytes.flatMap((b, id) => (b.some(neverValid) ? [id] : [])));
  const inString = new Uint8Array(vocab.vocabSize).fill(OTHER);
  const outside = new Uint8Array(vocab.vocabSize).fill(OTHER);
  bytes.forEach((b, id) => {
    if (b.length === 0 || b.includes(BACKSLASH)) return;
    const quotes = b.reduce((n, x) => n + (x === QUOTE ? 1 : 0), 0);
    if (quotes === 1) inString[id] = BEST;
    else if (quotes > 1) inString[id] = NEXT;
    if (b.every((x) => x === 0x7d || x === 0x5d || x === 0x20)) outside[id] = BEST;
    else if (!b.some((x) => x >= 0x30 && x <= 0x39)) outside[id] = NEXT;
  });
  for (const id of vocab.eosTokenIds) outside[id] = BEST;
  const never = new Set(neverValidIds);
  const counter = createPlanCounter(bytes, (id) => !never.has(id) && !vocab.eosTokenIds.includes(id));
  return { bytes, neverValidIds, counter, inString, outside };
}

/** Whether the output is inside a JSON string, from the bytes accepted so far. */
class StringState {
  inString = false;
  escaped = false;
  /** Where the output would stand after `bytes`, this one left as it is. */
  after(bytes: Uint8Array): StringState {
    const next = new StringState();
    next.inString = this.inString;
    next.escaped = this.escaped;
    next.follow(bytes);
    return next;
  }
  follow(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (!this.inString) this.inString = b === QUOTE;
      else if (this.escaped) this.escaped = false;
      else if (b === BACKSLASH) this.escaped = true;
      else if (b === QUOTE) this.inString = false;
    }
  }
}

/** Forbids every allowed token of a worse class than the best allowed one; returns how many stay. */
function keepClosingTokens(row: Float32Array, classes: Uint8Array): number {
  let best = OTHER;
  const n = Math.min(row.length, classes.length);
  for (let t = 0; t < n && best > BEST; t++) if (row[t] !== -Infinity && classes[t]! < best) best = classes[t]!;
  let kept = 0;
  for (let t = 0; t < n; t++) {
    if (row[t] === -Infinity) continue;
    if (classes[t]! > best) row[t] = -Infinity;
    else kept++;
  }
  for (let t = n; t < row.length; t++) if (row[t] !== -Infinity) kept++;
  return kept;
}
