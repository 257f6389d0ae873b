/**
 * What a sampler stage declares once (its StageDefinition): names, parameters with ranges and
 * defaults, setting keys, CLI flags, explorer controls, label, no-op rule and how to run it.
 * Everything else (validation, strategy parsing and its inverse, CLI flags, schemas, explorer
 * controls, Sample with Settings) is derived from the definitions in registry.ts.
 */
import type { Rng } from './rng';
import type { CandidateSet, StageConfig, StageType } from './types';

/** What a stage sees besides the candidate set. */
export interface StageContext {
  /** Every token so far, prompt included. */
  history: ArrayLike<number>;
  /** Truncating stages keep at least this many tokens (SamplerSpec.minKeep, default 1). */
  minKeep: number;
  /**
   * The sequence's PRNG during step(); undefined in trace() and distribution() (the explorer),
   * where a stochastic stage (XTC) shows what it keeps when it fires.
   */
  rng?: Rng;
}

/** The model's vocabulary, for stages configured by text (DRY breakers, logit bias strings). */
export interface TokenVocabulary {
  readonly vocabSize: number;
  tokenText(id: number): string;
  encode(text: string): number[];
}

/** What a stage is built for: the vocabulary size, and the tokenizer when there is a model. */
export interface StageEnv {
  vocabSize: number;
  vocabulary?: TokenVocabulary;
}

/** A configured stage, ready to run. */
export interface StageRuntime {
  apply(c: CandidateSet, ctx: StageContext): void;
  /** After the token is chosen: stages with state (mirostat's μ) learn from it. */
  accept?(token: number, logprobSampling: number): void;
}

interface ParamBase {
  /** The field in the stage config, e.g. "p". */
  field: string;
  /** The field in strategy settings (samplingLab.strategies, prompt tests, presets), e.g. "topP". */
  setting: string;
  /** The command-line flag, e.g. "--top-p". */
  flag: string;
  /** One line for --help, the schemas and the explorer's tooltip. */
  help: string;
  /** Setting this parameter turns the stage on (the others only tune it). */
  enables?: boolean;
}

export interface NumberParam extends ParamBase {
  kind: 'number';
  min: number;
  max: number;
  /** min itself is not allowed. */
  minOpen?: boolean;
  maxOpen?: boolean;
  integer?: boolean;
  default: number;
  /** Appended to a range error, e.g. "Use 1 to keep every token." */
  hint?: string;
  /** The explorer's slider. */
  control: { min: number; max: number; step: number };
}

/** A list of strings (DRY's sequence breakers). */
export interface TextsParam extends ParamBase {
  kind: 'texts';
  default: readonly string[];
}

/** Token id or text → bias (logit bias); `false` bans the token. */
export interface BiasParam extends ParamBase {
  kind: 'bias';
}

export type ParamSpec = NumberParam | TextsParam | BiasParam;

export interface StageDefinition<C extends StageConfig = StageConfig> {
  type: C['type'];
  /** Other spellings accepted in orders and on the command line ("nucleus" for top_p). */
  aliases: readonly string[];
  title: string;
  /** What it does, with its source cited. */
  summary: string;
  params: readonly ParamSpec[];
  label(config: C): string;
  /** Leaves every distribution unchanged, whatever the logits. */
  isNoOp(config: C, vocabSize: number): boolean;
  /** Built from settings only when it does something (a penalty of 1 adds no stage). */
  omitWhenNoOp?: boolean;
  /**
   * Its survivors are always the most likely tokens of its input, in the same order (a cut from
   * the top, or a monotone rescaling). The explorer reads only the top of the final distribution
   * when every stage does; penalties, typical-p and XTC reorder or skip the top.
   */
  keepsTop: boolean;
  /** Reads probabilities (so the raw pass's exps can be reused when it runs first). */
  readsProbabilities(config: C): boolean;
  /**
   * Rewrites only a few tokens' logits (tokens from the history or a bias list) and patches
   * their exps (patchExp), so exps computed before it stay usable after it: the raw pass's exps
   * reach a probability-reading stage behind penalties without a second exp pass.
   */
  rewritesFewLogits?: boolean;
  /** Called once per chain; errors here (a bad token id) surface before any model work. */
  create(config: C, env: StageEnv): StageRuntime;
}

/** A definition, typed by its config, stored in the registry's list. */
export function defineStage<T extends StageType>(definition: StageDefinition<Extract<StageConfig, { type: T }>>): StageDefinition {
  return definition as unknown as StageDefinition;
}

/** "0.9", "40": how a parameter prints in a label. */
export function show(value: number): string {
  return String(value);
}
