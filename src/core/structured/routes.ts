/**
 * The four ways to get structured output, run on one prompt and schema so their validity and cost
 * sit side by side (the seed's list):
 * 1. prompting with validation: generate, validate, and on failure ask again with the errors in
 *    the prompt (bounded retries);
 * 2. post-processing: repair the text with jsonrepair, then validate;
 * 3. constrained sampling: mask every token that would break the schema (constraint.ts);
 * 4. test-time compute: sample N, keep the valid one with the highest mean log-prob.
 * Every final output is validated by ajv, whatever the route promises.
 *
 * The control flow of each route is a pure function over a `generate` callback, so it is tested
 * with hand-made outputs; runStructuredRoutes wires the callbacks to the real decode loop.
 */
import { jsonrepair } from 'jsonrepair';
import { argmaxMeanLogprob, preparePrompt, sequencesFor } from '../decode/compare';
import { decodeBatch, type SequenceSpec } from '../decode/decodeBatch';
import { strategyFromSettings } from '../decode/strategies';
import type { Completion, Strategy, TokenInfo } from '../decode/types';
import type { CausalLM } from '../model/types';
import { createSamplerChain } from '../sampling/chain';
import { createRng, sequenceSeed } from '../sampling/rng';
import { UnsupportedSchemaError, type ConstraintEngines, type EngineLabel, type SchemaConstraint } from './constraint';
import { ROUTE_IDS, ROUTE_TITLES, type RouteId } from './routeIds';
import { checkSchema, formatIssues, parseJsonText, type CheckedSchema, type SchemaValidatorFactory, type ValidationIssue, type ValidationResult } from './schema';

export { ROUTE_IDS, ROUTE_TITLES, type RouteId };

/** One generated text and what it cost. */
export interface Generation {
  text: string;
  tokens: TokenInfo[];
  ms: number;
  /** Constrained: the step from which the budget forced the document closed (constraint.ts). */
  closingFromStep?: number;
  /** Constrained: the step at which the engines' masks left no token. */
  deadEndAtStep?: number;
}

/** One try of a route (a retry, or a candidate of test-time compute). */
export interface Attempt {
  text: string;
  valid: boolean;
  issues: ValidationIssue[];
  tokens: number;
  meanLogprob: number;
}

export interface RouteResult {
  route: RouteId;
  title: string;
  /** The output, pretty-printed when it parses as JSON; otherwise the raw text. */
  output: string;
  valid: boolean;
  /** ajv's errors (or the JSON parse error) for `output`, with JSON-pointer paths. */
  issues: ValidationIssue[];
  tries: number;
  /** Tokens generated over all tries or candidates. */
  tokens: number;
  timeMs: number;
  /** One line on how the result came about, e.g. "valid on try 2 of 3" or "3 of 8 valid". */
  note: string;
  /** The route could not run (e.g. a schema no engine enforces); the other routes still did. */
  error?: string;
  attempts: Attempt[];
  /** The shown output's tokens; for constrained sampling each carries `allowed`. */
  outputTokens: TokenInfo[];
  /** Constrained sampling: the engine that ran (ours, or a server's json_schema: "server json_schema (vLLM at gpu-box:8000)"), and why. */
  engine?: EngineLabel | string;
  engineReason?: string;
  /** The logits width, for "12,304 of 151,936 tokens allowed"; 0 where unknown (a server). */
  vocabSize: number;
}

export interface StructuredRoutesResult {
  prompt: string;
  strategy: string;
  seed: number;
  routes: RouteResult[];
  elapsedMs: number;
  truncatedNotice?: string;
}

export interface StructuredRouteOptions {
  /** The engines for the model's vocabulary (createConstraintEngines), built once per model. */
  engines: ConstraintEngines;
  /** Default: temperature 1.0, where unconstrained output sometimes breaks. */
  strategy?: Strategy;
  seed?: number;
  maxNewTokens?: number;
  /** Prompting route: re-asks after the first try. Default 2 (3 tries in all). */
  maxRetries?: number;
  /** Test-time compute's N. Default 8. */
  samples?: number;
  /** Which routes to run, in this order. Default: all four. */
  routes?: readonly RouteId[];
  signal?: AbortSignal;
  /** Called as each route finishes, for streaming into the panel. */
  onRoute?: (result: RouteResult) => void;
  /** Where the schema came from, for error messages. */
  schemaSource?: string;
  /** Validator to use instead of ajv (the webview worker cannot run ajv's generated code). */
  compileValidator?: SchemaValidatorFactory;
}

export const STRUCTURED_DEFAULTS = { seed: 42, maxNewTokens: 96, maxRetries: 2, samples: 8 } as const;

/** The constrained route's constraint, however it is enforced: our own mask, or a schema the server enforces. */
export interface RouteConstraint {
  engine: EngineLabel | string;
  reason: string;
  /** How the schema was applied, for the card's note (default: compiled here, with its time). */
  applied?: string;
  dispose(): void;
}

/**
 * What the routes sample from: a model here with our own mask (localRouteSampler), or an engine
 * such as a server that samples itself and enforces the schema by its json_schema
 * (engineRouteSampler.ts). The routes' control flow is the same on both.
 */
export interface RouteSampler<C extends RouteConstraint = RouteConstraint> {
  /** The logits width; 0 where unknown. */
  readonly vocabSize: number;
  /** A notice when the prompt was cut to fit the context. */
  readonly truncatedNotice?: string;
  /** Why `route` cannot run here, by name (shown on its card); undefined: it can. */
  refusal(route: RouteId): string | undefined;
  /** Samples firstSample … firstSample + count − 1 of the prompt (sample i's seed: sequenceSeed(seed, prompt, i)). */
  sample(prompt: string, strategy: Strategy, seed: number, firstSample: number, count: number, constraint?: C): Promise<Generation[]>;
  /** The constrained route's constraint; UnsupportedSchemaError for a schema it cannot enforce. */
  constrain(checked: CheckedSchema): Promise<C>;
}

// ---------------------------------------------------------------------------------------------
// Pure control flow

/** The re-ask: the validation errors first, then the original prompt, so the model continues from it. */
export function retryPrompt(prompt: string, issues: readonly ValidationIssue[]): string {
  return `The previous answer was not valid JSON for the schema: ${formatIssues(issues).join('; ')}.\n${prompt}`;
}

/** Route 1: try, validate, re-ask with the errors; at most 1 + maxRetries tries. */
export async function promptWithValidation(
  prompt: string,
  checked: CheckedSchema,
  maxRetries: number,
  generate: (prompt: string, attempt: number) => Promise<Generation>,
): Promise<{ attempts: Attempt[]; final: ValidationResult; finalText: string; generations: Generation[] }> {
  if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new RangeError(`maxRetries must be an integer ≥ 0 (got ${maxRetries}).`);
  const attempts: Attempt[] = [];
  const generations: Generation[] = [];
  let ask = prompt;
  for (let attempt = 0; ; attempt++) {
    const g = await generate(ask, attempt);
    generations.push(g);
    const result = checked.validateText(g.text);
    attempts.push(toAttempt(g, result));
    if (result.valid || attempt >= maxRetries) return { attempts, final: result, finalText: g.text, generations };
    ask = retryPrompt(prompt, result.issues);
  }
}

/** Route 2: jsonrepair, then validate what it made. A text it cannot repair stays invalid, with its reason. */
export function repairThenValidate(text: string, checked: CheckedSchema): { repaired?: string; changed: boolean; result: ValidationResult } {
  let repaired: string;
  try {
    repaired = jsonrepair(text.trim());
  } catch (e) {
    return { changed: false, result: { valid: false, issues: [{ path: '', message: `jsonrepair could not repair it: ${(e as Error).message}` }] } };
  }
  return { repaired, changed: repaired !== text.trim(), result: checked.validateText(repaired) };
}

/** Route 4's pick: among valid candidates, the highest mean log-prob (ties: the earlier). */
export function pickBestValid(
  candidates: ReadonlyArray<{ text: string; meanLogprob: number }>,
  checked: CheckedSchema,
): { best: number; validCount: number; results: ValidationResult[] } {
  const results = candidates.map((c) => checked.validateText(c.text));
  let best = -1;
  results.forEach((r, i) => {
    if (r.valid && (best < 0 || candidates[i]!.meanLogprob > candidates[best]!.meanLogprob)) best = i;
  });
  const validCount = results.filter((r) => r.valid).length;
  if (best < 0 && candidates.length > 0) {
    // None valid: show the most likely candidate, marked invalid.
    best = 0;
    candidates.forEach((c, i) => {
      if (c.meanLogprob > candidates[best]!.meanLogprob) best = i;
    });
  }
  return { best, validCount, results };
}

/** Pretty-printed JSON when `text` parses, else the text as it is. */
export function prettyOutput(text: string): string {
  const parsed = parseJsonText(text);
  return parsed.ok ? JSON.stringify(parsed.value, null, 2) : text;
}

export function meanLogprob(tokens: readonly TokenInfo[]): number {
  return tokens.length > 0 ? tokens.reduce((s, t) => s + t.logprobRaw, 0) / tokens.length : 0;
}

function toAttempt(g: Generation, result: ValidationResult): Attempt {
  return { text: g.text, valid: result.valid, issues: result.issues, tokens: g.tokens.length, meanLogprob: meanLogprob(g.tokens) };
}

// ---------------------------------------------------------------------------------------------
// Wiring to the model

/** Runs the routes on one prompt and schema on a model here. Throws SchemaError for a schema that is not valid JSON Schema. */
export async function runStructuredRoutes(
  model: CausalLM,
  prompt: string,
  schema: unknown,
  options: StructuredRouteOptions,
): Promise<StructuredRoutesResult> {
  const maxNewTokens = options.maxNewTokens ?? STRUCTURED_DEFAULTS.maxNewTokens;
  return runRoutesOn(localRouteSampler(model, options.engines, prompt, maxNewTokens, options.signal), prompt, schema, options);
}

/** The routes on a model here: our sampler chain, batched decoding, and our own mask for the constrained route. */
export function localRouteSampler(model: CausalLM, engines: ConstraintEngines, prompt: string, maxNewTokens: number, signal?: AbortSignal): RouteSampler<SchemaConstraint> {
  const prepared = preparePrompt(model, prompt, maxNewTokens);
  const decode = { model, maxNewTokens, signal };
  return {
    vocabSize: model.vocabSize,
    truncatedNotice: prepared.truncatedNotice,
    refusal: () => undefined,
    sample: (ask, strategy, seed, firstSample, count, constraint) => decodeSequences(decode, ask, strategy, seed, firstSample, count, constraint),
    constrain: (checked) => engines.compile(checked),
  };
}

/** Runs the routes on one prompt and schema through `sampler`. Throws SchemaError for a schema that is not valid JSON Schema. */
export async function runRoutesOn<C extends RouteConstraint>(
  sampler: RouteSampler<C>,
  prompt: string,
  schema: unknown,
  options: Omit<StructuredRouteOptions, 'engines'>,
): Promise<StructuredRoutesResult> {
  const started = performance.now();
  const checked = checkSchema(schema, options.schemaSource, { compile: options.compileValidator });
  const strategy = options.strategy ?? strategyFromSettings({ kind: 'temperature', temperature: 1.0 });
  const seed = options.seed ?? STRUCTURED_DEFAULTS.seed;
  const maxRetries = options.maxRetries ?? STRUCTURED_DEFAULTS.maxRetries;
  const samples = options.samples ?? STRUCTURED_DEFAULTS.samples;
  const routes = options.routes ?? ROUTE_IDS;
  const vocabSize = sampler.vocabSize;

  // Route 2 repairs route 1's first output (same prompt, seed and strategy give the same text).
  let first: Promise<Generation> | undefined;
  const firstGeneration = () => (first ??= generateWithStrategy(sampler, prompt, strategy, seed, 0));

  const results: RouteResult[] = [];
  for (const route of routes) {
    if (options.signal?.aborted) break;
    let result: RouteResult;
    const refusal = sampler.refusal(route);
    try {
      result = refusal !== undefined ? notRun(route, refusal) : await runRoute(route);
    } catch (e) {
      if (options.signal?.aborted) break;
      // One route's failure (an engine that cannot take this schema, a stack overflow) is that route's result; the others still run.
      const message = e instanceof RangeError ? `${e.message}: the schema is too deep or self-referencing for this route` : (e as Error).message;
      result = { ...notRun(route, message), note: 'failed' };
    }
    results.push(result);
    options.onRoute?.(result);
  }
  return { prompt, strategy: strategy.name, seed, routes: results, elapsedMs: performance.now() - started, truncatedNotice: sampler.truncatedNotice };

  function notRun(route: RouteId, error: string): RouteResult {
    return { route, title: ROUTE_TITLES[route], vocabSize, output: '', valid: false, issues: [], tries: 0, tokens: 0, timeMs: 0, note: 'not run', error, attempts: [], outputTokens: [] };
  }

  async function runRoute(route: RouteId): Promise<RouteResult> {
    const base = { route, title: ROUTE_TITLES[route], vocabSize };
    const t0 = performance.now();
    switch (route) {
      case 'prompting': {
        const run = await promptWithValidation(prompt, checked, maxRetries, (ask, attempt) =>
          attempt === 0 && ask === prompt ? firstGeneration() : generateWithStrategy(sampler, ask, strategy, seed, attempt * sequencesFor(strategy, 1)),
        );
        const tries = run.attempts.length;
        return {
          ...base,
          output: prettyOutput(run.finalText),
          valid: run.final.valid,
          issues: run.final.issues,
          tries,
          tokens: sum(run.attempts.map((a) => a.tokens)),
          timeMs: sum(run.generations.map((g) => g.ms)),
          note: run.final.valid ? `valid on try ${tries} of ${maxRetries + 1}` : `invalid after ${tries} ${tries === 1 ? 'try' : 'tries'}`,
          attempts: run.attempts,
          outputTokens: run.generations[run.generations.length - 1]!.tokens,
        };
      }
      case 'repair': {
        const g = await firstGeneration();
        const r0 = performance.now();
        const { repaired, changed, result } = repairThenValidate(g.text, checked);
        const repairMs = performance.now() - r0;
        const shown = repaired ?? g.text;
        return {
          ...base,
          output: prettyOutput(shown),
          valid: result.valid,
          issues: result.issues,
          tries: 1,
          tokens: g.tokens.length,
          timeMs: g.ms + repairMs,
          note: repaired === undefined ? 'jsonrepair gave up' : changed ? `repaired in ${repairMs.toFixed(1)} ms` : 'already JSON: nothing to repair',
          attempts: [toAttempt(g, result)],
          outputTokens: g.tokens,
        };
      }
      case 'constrained': {
        let constraint: C;
        try {
          constraint = await sampler.constrain(checked);
        } catch (e) {
          if (!(e instanceof UnsupportedSchemaError)) throw e;
          return { ...base, output: '', valid: false, issues: [], tries: 0, tokens: 0, timeMs: performance.now() - t0, note: 'not run', error: e.message, attempts: [], outputTokens: [] };
        }
        const compileMs = performance.now() - t0;
        try {
          let g: Generation;
          try {
            g = await generateWithStrategy(sampler, prompt, strategy, seed, 0, constraint);
          } catch (e) {
            // The budget cannot hold even the shortest valid document: refused before decoding.
            if (!(e instanceof UnsupportedSchemaError)) throw e;
            return { ...base, output: '', valid: false, issues: [], tries: 0, tokens: 0, timeMs: performance.now() - t0, note: 'not run', error: e.message, attempts: [], outputTokens: [], engine: constraint.engine, engineReason: constraint.reason };
          }
          const result = checked.validateText(g.text);
          return {
            ...base,
            output: prettyOutput(g.text),
            valid: result.valid,
            issues: result.issues,
            tries: 1,
            tokens: g.tokens.length,
            timeMs: performance.now() - t0,
            note:
              `${constraint.engine}, ${constraint.applied ?? `schema compiled in ${compileMs.toFixed(0)} ms`}` +
              (g.closingFromStep !== undefined ? `; closed by the token budget from token ${g.closingFromStep + 1}` : '') +
              (g.deadEndAtStep !== undefined ? `; the masks left no token at token ${g.deadEndAtStep + 1}` : ''),
            attempts: [toAttempt(g, result)],
            outputTokens: g.tokens,
            engine: constraint.engine,
            engineReason: constraint.reason,
          };
        } finally {
          constraint.dispose();
        }
      }
      case 'test_time': {
        // N greedy samples would be N copies of one: sample at the strategy's settings, or T = 1.
        const sampling = strategy.sampler.select === 'greedy' ? strategyFromSettings({ kind: 'temperature', temperature: 1.0 }) : strategy;
        const candidates = await sampler.sample(prompt, sampling, seed, 0, samples);
        const pick = pickBestValid(candidates.map((g) => ({ text: g.text, meanLogprob: meanLogprob(g.tokens) })), checked);
        const shown = candidates[pick.best]!;
        return {
          ...base,
          output: prettyOutput(shown.text),
          valid: pick.results[pick.best]!.valid,
          issues: pick.results[pick.best]!.issues,
          tries: samples,
          tokens: sum(candidates.map((c) => c.tokens.length)),
          timeMs: performance.now() - t0,
          note: `${pick.validCount} of ${samples} valid${sampling !== strategy ? ' (sampled at T = 1: greedy gives one answer)' : ''}`,
          attempts: candidates.map((g, i) => toAttempt(g, pick.results[i]!)),
          outputTokens: shown.tokens,
        };
      }
    }
  }
}

interface DecodeContext {
  model: CausalLM;
  maxNewTokens: number;
  signal?: AbortSignal;
}

/**
 * One output of `strategy`: one sequence, or best-of-N's winner by mean log-prob, drawn as the
 * prompt's samples from `firstSample` on. With a constraint, every sequence gets its own matcher.
 */
async function generateWithStrategy<C extends RouteConstraint>(sampler: RouteSampler<C>, prompt: string, strategy: Strategy, seed: number, firstSample: number, constraint?: C): Promise<Generation> {
  const count = sequencesFor(strategy, 1);
  const all = await sampler.sample(prompt, strategy, seed, firstSample, count, constraint);
  if (all.length === 1) return all[0]!;
  const best = argmaxMeanLogprob(all.map((g) => ({ meanLogprob: meanLogprob(g.tokens) }) as Completion));
  // Best-of-N paid for every candidate: its time is the batch's.
  return { ...all[best]!, ms: Math.max(...all.map((g) => g.ms)) };
}

/**
 * Samples firstSample … firstSample + count − 1 of the prompt under one strategy, decoded in one
 * batch; sample i's seed is sequenceSeed(seed, prompt, i), as in compareStrategies.
 */
async function decodeSequences(ctx: DecodeContext, prompt: string, strategy: Strategy, seed: number, firstSample: number, count: number, constraint?: SchemaConstraint): Promise<Generation[]> {
  const { model } = ctx;
  const prepared = preparePrompt(model, prompt, ctx.maxNewTokens);
  // The budget decodeBatch will really allow, so the matcher closes the document before it ends.
  const budget = { maxNewTokens: Math.min(ctx.maxNewTokens, model.maxContext - prepared.ids.length) };
  const constraints = constraint ? await Promise.all(Array.from({ length: count }, () => constraint.createSequenceConstraint(budget))) : [];
  const specs: SequenceSpec[] = Array.from({ length: count }, (_, i) => ({
    chain: createSamplerChain(strategy.sampler, model.vocabSize, undefined, model),
    rng: createRng(sequenceSeed(seed, prompt, firstSample + i)),
    tag: { strategy: 0, sample: i },
    constraint: constraints[i],
  }));
  try {
    const t0 = performance.now();
    const { sequences } = await decodeBatch(model, prepared.ids, specs, { maxNewTokens: ctx.maxNewTokens, signal: ctx.signal });
    const ms = performance.now() - t0;
    // Batched sequences share the wall time; each reports the time until it finished.
    return sequences.map((s, i) => ({
      text: s.text,
      tokens: s.tokens,
      ms: count > 1 ? s.finishedAtMs : ms,
      closingFromStep: constraints[i]?.closingFromStep,
      deadEndAtStep: constraints[i]?.deadEndAtStep,
    }));
  } finally {
    for (const c of constraints) c.dispose();
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/**
 * The final verdict on each route's output, by ajv: the worker validates with an eval-free
 * library to drive its retries, and this puts ajv's word (and error paths) on what is shown.
 */
export function revalidateRoutes(routes: readonly RouteResult[], checked: CheckedSchema): RouteResult[] {
  return routes.map((r) => {
    if (r.error) return r;
    const verdict = checked.validateText(r.output);
    return { ...r, valid: verdict.valid, issues: verdict.issues };
  });
}
