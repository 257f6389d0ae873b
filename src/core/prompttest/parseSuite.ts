/**
 * Parses a `*.prompttest.yaml` file into cases. Every problem is reported at the line and column
 * to fix (the editor shows them as diagnostics, the CLI as `file:line:col`), and all problems of
 * a file are reported at once, not just the first. media/prompttest.schema.json describes the
 * same format for editor completion; this parser is what decides.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { STRATEGY_KINDS, STRATEGY_SETTING_KEYS, StrategyError, strategyFromSettings } from '../decode/strategies';
import type { Strategy } from '../decode/types';
import { checkSchema, parseSchemaText, SchemaError } from '../structured/schema';
import { compileLinearRegex, RegexSyntaxError } from './linearRegex';
import { fillTemplate } from './template';
import { ASSERTION_TYPES, type Assertion, type AssertionType, type ParsedSuite, type PromptTestCase, type SourceRange, type SuiteProblem } from './types';

/** A suite's `model:` (as samplingLab.model) that names an endpoint: `endpoint:NAME`. */
export const ENDPOINT_PREFIX = 'endpoint:';

/** The endpoint NAME a suite's model names, or undefined for a local model. */
export function suiteEndpointName(model: string | undefined): string | undefined {
  return model?.startsWith(ENDPOINT_PREFIX) ? model.slice(ENDPOINT_PREFIX.length).trim() : undefined;
}

export const CASE_DEFAULTS = {
  strategy: 'greedy',
  repeat: 1,
  maxNewTokens: 32,
  seed: 42,
  passRate: 1,
  riskSamples: 8,
  riskTemperature: 1,
} as const;

/** Bounds shared with the decode loop (validateDecodeOptions) and the risk settings. */
export const LIMITS = {
  repeat: [1, 64],
  maxTokens: [1, 4096],
  seed: [0, 0xffffffff],
  riskSamples: [2, 32],
} as const;

export interface ParseSuiteOptions {
  /**
   * Reads a file a suite refers to (`prompt_file`, `schema_file`), given the path as written;
   * resolve it against the suite's folder. Throw to report it unreadable. Without a reader,
   * such cases are reported as problems.
   */
  readFile?: (path: string, key: SuiteFileReference['key']) => string;
}

/** A file a suite names, as written, and the key that names it. */
export interface SuiteFileReference {
  path: string;
  key: 'prompt_file' | 'schema_file';
}

/**
 * The files a suite names (`prompt_file` of each case, `schema_file` of each json-schema
 * assertion), so a caller can read them asynchronously, under its own rules, before parseSuite
 * asks for them. Text that is not a suite names none.
 */
export function suiteFileReferences(text: string): SuiteFileReference[] {
  let root: unknown;
  try {
    root = parseDocument(text, { uniqueKeys: false }).toJS({ maxAliasCount: 1000 });
  } catch {
    return [];
  }
  const refs: SuiteFileReference[] = [];
  const cases = isRecord(root) && Array.isArray(root.cases) ? root.cases : [];
  for (const c of cases) {
    if (!isRecord(c)) continue;
    if (typeof c.prompt_file === 'string' && c.prompt_file.trim() !== '') refs.push({ path: c.prompt_file, key: 'prompt_file' });
    for (const a of Array.isArray(c.assert) ? c.assert : []) {
      if (isRecord(a) && typeof a.schema_file === 'string' && a.schema_file.trim() !== '') refs.push({ path: a.schema_file, key: 'schema_file' });
    }
  }
  return refs;
}

/** Where a value sits in the parsed document: keys and list indices from the root. */
type Path = ReadonlyArray<string | number>;

const TOP_KEYS = ['description', 'model', 'defaults', 'cases'] as const;
const SHARED_KEYS = ['vars', 'strategy', 'settings', 'repeat', 'max_tokens', 'seed', 'stop', 'pass_rate', 'chat', 'system'] as const;
const CASE_KEYS = ['name', 'description', 'prompt', 'prompt_file', ...SHARED_KEYS, 'assert'] as const;
/** The fields of StrategySettings, as strategyFromSettings reads them (every stage parameter's setting key). */
const SETTINGS_KEYS = STRATEGY_SETTING_KEYS;
const ASSERTION_KEYS: Record<AssertionType, readonly string[]> = {
  contains: ['type', 'value', 'ignore_case'],
  'not-contains': ['type', 'value', 'ignore_case'],
  equals: ['type', 'value', 'ignore_case'],
  regex: ['type', 'value', 'flags'],
  'json-schema': ['type', 'schema', 'schema_file'],
  'max-risk': ['type', 'value', 'samples', 'temperature'],
  'min-mean-logprob': ['type', 'value'],
  'max-tokens': ['type', 'value'],
};

/** The keys each level of a suite accepts; media/prompttest.schema.json must list the same. */
export const SUITE_KEYS = {
  top: TOP_KEYS,
  defaults: SHARED_KEYS,
  case: CASE_KEYS,
  settings: SETTINGS_KEYS,
  assertion: ASSERTION_KEYS,
} as const;

export function parseSuite(text: string, options: ParseSuiteOptions = {}): ParsedSuite {
  const lineCounter = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return { cases: [], problems: [{ message: TOO_DEEP, range: { line: 1, column: 1, endLine: 1, endColumn: 2 }, severity: 'error' }] };
  }
  const where = new Locator(doc, lineCounter, text);
  const problems: SuiteProblem[] = [];
  for (const e of doc.errors) {
    // yaml finds an unclosed quote at the end of the file; the place to fix is where it opened.
    const opened = e.code === 'MISSING_CHAR' ? openingQuote(text, e.message, e.pos[0]) : undefined;
    problems.push(
      opened
        ? { message: `Missing closing ${opened.quote}: the quoted text that starts here never ends.`, range: where.offsets(opened.at, opened.at + 1), severity: 'error' }
        : { message: yamlMessage(e.message), range: where.offsets(e.pos[0], e.pos[1]), severity: 'error' },
    );
  }
  for (const w of doc.warnings) problems.push({ message: yamlMessage(w.message), range: where.offsets(w.pos[0], w.pos[1]), severity: 'warning' });
  if (problems.some((p) => p.severity === 'error')) return { cases: [], problems };

  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    problems.push({ message: e instanceof RangeError ? TOO_DEEP : (e as Error).message, range: where.range([]), severity: 'error' });
    return { cases: [], problems };
  }
  const parser = new SuiteParser(where, problems, options);
  return parser.suite(root);
}

class SuiteParser {
  constructor(
    private readonly where: Locator,
    private readonly problems: SuiteProblem[],
    private readonly options: ParseSuiteOptions,
  ) {}

  suite(root: unknown): ParsedSuite {
    if (!isRecord(root)) {
      this.error([], root === null || root === undefined
        ? 'The file is empty. A suite needs a list of cases, e.g.\ncases:\n  - name: …\n    prompt: …\n    assert:\n      - type: contains\n        value: …'
        : `A suite must be a mapping with a "cases:" list (got ${describe(root)}).`);
      return { cases: [], problems: this.problems };
    }
    this.unknownKeys(root, [], TOP_KEYS, 'at the top of a suite');
    const description = typeof root.description === 'string' ? root.description : undefined;
    if (root.description !== undefined && description === undefined) this.error(['description'], 'description must be text.');

    const beforeDefaults = this.errorCount();
    const model = root.model === undefined ? undefined : this.model(root.model);
    let defaults: Record<string, unknown> = {};
    let defaultVars: Record<string, string> = {};
    if (root.defaults !== undefined) {
      if (isRecord(root.defaults)) {
        defaults = root.defaults;
        this.unknownKeys(defaults, ['defaults'], SHARED_KEYS, 'in defaults');
        // Check the defaults once, where they are written, rather than once per case.
        this.shared(defaults, ['defaults']);
        defaultVars = this.vars(defaults.vars, ['defaults', 'vars']);
      } else this.error(['defaults'], `defaults must be a mapping of case settings (got ${describe(root.defaults)}).`);
    }
    // Cases still parse (to report their own problems), but none runs on broken defaults or a broken model.
    const defaultsOk = this.errorCount() === beforeDefaults;

    const cases: PromptTestCase[] = [];
    if (root.cases === undefined || root.cases === null) {
      this.error(root.cases === null ? ['cases'] : [], 'The suite has no cases. Add a "cases:" list; each case needs a name, a prompt and an "assert:" list.', 'head');
    } else if (!Array.isArray(root.cases)) {
      this.error(['cases'], `cases must be a list (got ${describe(root.cases)}); start each case with "- name: …".`);
    } else {
      const names = new Set<string>();
      root.cases.forEach((raw, i) => {
        const parsed = this.testCase(raw, ['cases', i], defaults, defaultVars, names);
        if (parsed && defaultsOk) cases.push(parsed);
      });
    }
    this.problems.sort((a, b) => a.range.line - b.range.line || a.range.column - b.range.column);
    return { description, ...(model !== undefined ? { model, modelRange: this.where.range(['model']) } : {}), cases, problems: this.problems };
  }

  /**
   * The suite's model, checked for form only: whether a folder, hub id or endpoint exists is the
   * runner's to say (the editor knows its endpoints, the CLI its --endpoint).
   */
  private model(raw: unknown): string | undefined {
    const forms = 'facts-lm, a model folder, a hub id like owner/name, or endpoint:NAME for an endpoint in your samplingLab.endpoints';
    if (typeof raw !== 'string' || raw.trim() === '') {
      this.error(['model'], `model must be text naming the model the suite runs on: ${forms} (got ${raw === null ? 'nothing' : describe(raw)}). Leave it out to run on the selected model.`);
      return undefined;
    }
    const value = raw.trim();
    if (/[\r\n\t]/.test(value)) {
      this.error(['model'], `model must be one line (got ${JSON.stringify(value)}): ${forms}.`);
      return undefined;
    }
    const endpoint = /^\s*endpoint\s*:(.*)$/i.exec(value);
    if (endpoint) {
      const name = endpoint[1]!.trim();
      if (!value.startsWith(ENDPOINT_PREFIX) || /\s/.test(value.slice(0, ENDPOINT_PREFIX.length + 1))) {
        this.error(['model'], `Write an endpoint as endpoint:NAME, lower case with no space before the name (got "${value}")${name ? `; e.g. endpoint:${name}` : ''}.`);
        return undefined;
      }
      if (name === '' || name.includes(':')) {
        this.error(['model'], `model: endpoint: needs the name of one of your samplingLab.endpoints after it, e.g. endpoint:gpu-box (got "${value}").`);
        return undefined;
      }
    }
    return value;
  }

  private testCase(
    raw: unknown,
    path: Path,
    defaults: Record<string, unknown>,
    defaultVars: Record<string, string>,
    names: Set<string>,
  ): PromptTestCase | undefined {
    if (!isRecord(raw)) {
      this.error(path, `Each case must be a mapping with name, prompt and assert (got ${describe(raw)}).`);
      return undefined;
    }
    const before = this.errorCount();
    this.unknownKeys(raw, path, CASE_KEYS, 'in a case');

    let name = '';
    if (raw.name === undefined || raw.name === null || String(raw.name).trim() === '') {
      this.error(raw.name === undefined ? path : [...path, 'name'], 'The case has no name. Add "name: …": it is how the case shows in reports and the Test Explorer.', 'head');
    } else if (isRecord(raw.name) || Array.isArray(raw.name)) {
      this.error([...path, 'name'], `name must be text (got ${describe(raw.name)}).`);
    } else {
      name = this.asWritten(raw.name, [...path, 'name']).trim();
      if (names.has(name)) this.error([...path, 'name'], `Another case is already named "${name}". Names must be unique within a file.`);
      names.add(name);
    }

    // A case's own strategy or settings replace both of the defaults'.
    const ownStrategy = raw.strategy !== undefined || raw.settings !== undefined;
    const merged: Record<string, unknown> = { ...defaults, ...raw };
    if (ownStrategy) {
      if (raw.strategy === undefined) delete merged.strategy;
      if (raw.settings === undefined) delete merged.settings;
    }
    // Defaults were checked where they are written; report only the case's own values here.
    const own = (key: string): Path => (key in raw ? [...path, key] : ['defaults', key]);
    const quiet = (key: string) => !(key in raw);

    const shared = this.shared(merged, path, own, quiet);
    const vars = { ...defaultVars, ...this.vars(raw.vars, [...path, 'vars']) };
    const prompt = this.prompt(raw, path, vars);

    let assertions: Assertion[] = [];
    if (raw.assert === undefined || raw.assert === null || (Array.isArray(raw.assert) && raw.assert.length === 0)) {
      this.error(raw.assert === undefined ? path : [...path, 'assert'], `Case "${name}" has no assertions, so it could never fail. Add an "assert:" list, e.g. "- type: contains".`, 'head');
    } else if (!Array.isArray(raw.assert)) {
      this.error([...path, 'assert'], `assert must be a list of assertions (got ${describe(raw.assert)}); start each with "- type: …".`);
    } else {
      assertions = raw.assert.flatMap((a, i) => this.assertion(a, [...path, 'assert', i], shared?.maxNewTokens) ?? []);
    }

    if (this.errorCount() > before || !shared || prompt === undefined) return undefined;
    return {
      name,
      prompt: prompt.text,
      promptFile: prompt.file,
      vars,
      ...shared,
      assertions,
      range: this.where.range(path),
      nameRange: this.where.range([...path, 'name']),
    };
  }

  /** The settings a case shares with `defaults`. `own` says where a key is written, `quiet` skips keys already checked in defaults. */
  private shared(
    raw: Record<string, unknown>,
    path: Path,
    own: (key: string) => Path = (key) => [...path, key],
    quiet: (key: string) => boolean = () => false,
  ): Pick<PromptTestCase, 'strategy' | 'repeat' | 'maxNewTokens' | 'seed' | 'stopStrings' | 'passRate' | 'chat' | 'system'> | undefined {
    const before = this.errorCount();
    const loud = (key: string) => !quiet(key);
    const strategy = this.strategy(raw, own, loud);
    const repeat = this.integer(raw.repeat, own('repeat'), 'repeat', CASE_DEFAULTS.repeat, LIMITS.repeat, loud('repeat'), ': N, how many times the case runs');
    const maxNewTokens = this.integer(raw.max_tokens, own('max_tokens'), 'max_tokens', CASE_DEFAULTS.maxNewTokens, LIMITS.maxTokens, loud('max_tokens'));
    const seed = this.integer(raw.seed, own('seed'), 'seed', CASE_DEFAULTS.seed, LIMITS.seed, loud('seed'));
    let passRate: number = CASE_DEFAULTS.passRate;
    if (raw.pass_rate !== undefined) {
      const v = raw.pass_rate;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
        if (loud('pass_rate')) this.error(own('pass_rate'), `pass_rate must be a number in [0, 1], the share of runs that must pass (got ${show(v)}); e.g. 0.8 for 4 of 5.`);
      } else passRate = v;
    }
    let stopStrings: string[] = [];
    if (raw.stop !== undefined && raw.stop !== null) {
      const list = Array.isArray(raw.stop) ? raw.stop : [raw.stop];
      if (list.some((s) => typeof s !== 'string' || s.length === 0)) {
        if (loud('stop')) this.error(own('stop'), 'stop must be a non-empty string or a list of them, e.g. stop: ["\\n"].');
      } else stopStrings = list as string[];
    }
    let chat: boolean | undefined;
    if (raw.chat !== undefined && raw.chat !== null) {
      if (typeof raw.chat !== 'boolean') {
        if (loud('chat')) this.error(own('chat'), `chat must be true (render the prompt through the model's chat template) or false (send it raw) (got ${show(raw.chat)}); leave it out to use the template when the model has one.`);
      } else chat = raw.chat;
    }
    let system: string | undefined;
    if (raw.system !== undefined && raw.system !== null) {
      if (typeof raw.system !== 'string') {
        if (loud('system')) this.error(own('system'), `system must be a string, the system message before the prompt (got ${show(raw.system)}).`);
      } else if (chat === false) {
        if (loud('system')) this.error(own('system'), 'system needs the chat template, but chat is false here. Remove system, or set chat: true.');
      } else system = raw.system;
    }
    if (this.errorCount() > before || !strategy) return undefined;
    return { strategy, repeat, maxNewTokens, seed, stopStrings, passRate, ...(chat !== undefined ? { chat } : {}), ...(system !== undefined ? { system } : {}) };
  }

  private strategy(raw: Record<string, unknown>, own: (key: string) => Path, loud: (key: string) => boolean): Strategy | undefined {
    if (raw.strategy !== undefined && raw.settings !== undefined) {
      if (loud('settings')) this.error(own('settings'), 'Give either strategy (a preset name) or settings (inline parameters), not both.');
      return undefined;
    }
    try {
      if (raw.settings !== undefined) {
        // strategyFromSettings ignores keys it does not know; in a file, "top_p:" for "topP:" is a typo to catch.
        if (isRecord(raw.settings) && loud('settings')) {
          const before = this.errorCount();
          this.unknownKeys(raw.settings, [...own('settings')], SETTINGS_KEYS, 'in settings');
          if (this.errorCount() > before) return undefined;
        }
        return strategyFromSettings(raw.settings, 'settings');
      }
      const name = raw.strategy ?? CASE_DEFAULTS.strategy;
      if (typeof name !== 'string') {
        if (loud('strategy')) this.error(own('strategy'), `strategy must be a preset name such as greedy or top_p (got ${describe(name)}); use settings: for parameters.`);
        return undefined;
      }
      return strategyFromSettings({ kind: name }, 'strategy');
    } catch (e) {
      if (!(e instanceof StrategyError)) throw e;
      if (raw.settings === undefined) {
        const hint = typeof raw.strategy === 'string' ? didYouMean(raw.strategy, STRATEGY_KINDS) : '';
        if (loud('strategy')) this.error(own('strategy'), e.message.replace(/^strategy\.kind is (.*?), which is not a strategy\./, `strategy is $1, which is not a strategy.${hint}`));
        return undefined;
      }
      // "settings.topP" points at the topP line.
      if (loud('settings')) this.error([...own('settings'), ...e.setting.split('.').slice(1)], e.message);
      return undefined;
    }
  }

  private vars(raw: unknown, path: Path): Record<string, string> {
    const vars: Record<string, string> = {};
    if (raw === undefined || raw === null) return vars;
    if (!isRecord(raw)) {
      this.error(path, `vars must be a mapping of names to values, e.g. "name: Ada" (got ${describe(raw)}).`);
      return vars;
    }
    for (const [key, value] of Object.entries(raw)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') vars[key] = this.asWritten(value, [...path, key]);
      else this.error([...path, key], `vars.${key} must be text or a number (got ${describe(value)}).`);
    }
    return vars;
  }

  private prompt(raw: Record<string, unknown>, path: Path, vars: Record<string, string>): { text: string; file?: string } | undefined {
    if (raw.prompt !== undefined && raw.prompt_file !== undefined) {
      this.error([...path, 'prompt_file'], 'Give either prompt or prompt_file, not both.');
      return undefined;
    }
    let template: string;
    let file: string | undefined;
    const key = raw.prompt_file !== undefined ? 'prompt_file' : 'prompt';
    if (raw.prompt_file !== undefined) {
      if (typeof raw.prompt_file !== 'string' || raw.prompt_file.trim() === '') {
        this.error([...path, 'prompt_file'], `prompt_file must be a path relative to the suite (got ${show(raw.prompt_file)}).`);
        return undefined;
      }
      file = raw.prompt_file;
      const read = this.read(file, [...path, 'prompt_file'], 'prompt_file');
      if (read === undefined) return undefined;
      // Editors end files with a line break the prompt did not mean; keep one by ending with an empty line.
      template = read.replace(/\r?\n$/, '');
    } else if (raw.prompt === undefined || raw.prompt === null) {
      this.error(raw.prompt === null ? [...path, 'prompt'] : path, 'The case has no prompt. Add "prompt: …" (use a block scalar "|-" for several lines), or "prompt_file:" with "vars:".', 'head');
      return undefined;
    } else if (typeof raw.prompt !== 'string') {
      this.error([...path, 'prompt'], `prompt must be text (got ${describe(raw.prompt)}); quote it if it looks like a number.`);
      return undefined;
    } else template = raw.prompt;

    const filled = fillTemplate(template, vars);
    if (filled.missing.length > 0) {
      const list = filled.missing.map((m) => `{{${m}}}`).join(', ');
      this.error([...path, key], `${list} ${filled.missing.length === 1 ? 'has' : 'have'} no value: add ${filled.missing.length === 1 ? 'it' : 'them'} under vars.`);
      return undefined;
    }
    if (filled.text.trim() === '') {
      this.error([...path, key], 'The prompt is empty. Write the text the model should continue.');
      return undefined;
    }
    return { text: filled.text, file };
  }

  private assertion(raw: unknown, path: Path, maxNewTokens: number | undefined): Assertion | undefined {
    if (!isRecord(raw)) {
      this.error(path, `Each assertion must be a mapping with a type, e.g. "- type: contains" (got ${describe(raw)}).`);
      return undefined;
    }
    const type = raw.type;
    if (type === undefined) {
      this.error(path, `The assertion has no type. Use one of: ${ASSERTION_TYPES.join(', ')}.`, 'head');
      return undefined;
    }
    if (typeof type !== 'string' || !(ASSERTION_TYPES as readonly string[]).includes(type)) {
      const hint = typeof type === 'string' ? didYouMean(type, ASSERTION_TYPES) : '';
      this.error([...path, 'type'], `Unknown assertion type ${show(type)}.${hint} Use one of: ${ASSERTION_TYPES.join(', ')}.`);
      return undefined;
    }
    const t = type as AssertionType;
    const before = this.errorCount();
    this.unknownKeys(raw, path, ASSERTION_KEYS[t], `in a ${t} assertion`);
    const range = this.where.range(path);
    const valuePath = [...path, 'value'];
    const requireValue = (what: string): boolean => {
      if (raw.value === undefined || raw.value === null) {
        this.error(raw.value === null ? valuePath : path, `The ${t} assertion needs "value:", ${what}.`, 'head');
        return false;
      }
      return true;
    };
    const number = (what: string, ok: (v: number) => boolean): number | undefined => {
      if (!requireValue(what)) return undefined;
      const v = raw.value;
      if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) {
        this.error(valuePath, `${t} value must be ${what} (got ${show(v)}).`);
        return undefined;
      }
      return v;
    };
    const ignoreCase = (): boolean => {
      if (raw.ignore_case === undefined) return false;
      if (typeof raw.ignore_case !== 'boolean') this.error([...path, 'ignore_case'], `ignore_case must be true or false (got ${show(raw.ignore_case)}).`);
      return raw.ignore_case === true;
    };

    let out: Assertion | undefined;
    switch (t) {
      case 'contains':
      case 'not-contains':
      case 'equals': {
        if (!requireValue('the text to look for')) break;
        if (isRecord(raw.value) || Array.isArray(raw.value)) {
          this.error(valuePath, `${t} value must be text (got ${describe(raw.value)}).`);
          break;
        }
        out = { type: t, value: this.asWritten(raw.value, valuePath), ignoreCase: ignoreCase(), range };
        break;
      }
      case 'regex': {
        if (!requireValue('a regular expression (JavaScript syntax)')) break;
        if (typeof raw.value !== 'string') {
          this.error(valuePath, `regex value must be a pattern in quotes (got ${describe(raw.value)}).`);
          break;
        }
        const flags = raw.flags === undefined ? '' : raw.flags;
        if (typeof flags !== 'string' || !/^[imsu]*$/.test(flags) || new Set(flags).size !== flags.length) {
          this.error([...path, 'flags'], `regex flags must be letters from "imsu", each once (got ${show(flags)}).`);
          break;
        }
        try {
          compileLinearRegex(raw.value, flags);
        } catch (e) {
          if (!(e instanceof RegexSyntaxError)) throw e;
          this.error(valuePath, `Bad regex: ${e.message}`);
          break;
        }
        out = { type: 'regex', pattern: raw.value, flags, range };
        break;
      }
      case 'json-schema': {
        out = this.schemaAssertion(raw, path, range);
        break;
      }
      case 'max-risk': {
        const max = number('a risk in [0, 1]', (v) => v >= 0 && v <= 1);
        const samples = this.integer(raw.samples, [...path, 'samples'], 'samples', CASE_DEFAULTS.riskSamples, LIMITS.riskSamples, true,
          ': how many answers are sampled to measure agreement');
        let temperature: number = CASE_DEFAULTS.riskTemperature;
        if (raw.temperature !== undefined) {
          const v = raw.temperature;
          if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 5) {
            this.error([...path, 'temperature'], `temperature must be a number in (0, 5] (got ${show(v)}): at 0 every sample is the same answer and they cannot disagree.`);
          } else temperature = v;
        }
        if (max !== undefined) out = { type: 'max-risk', max, samples, temperature, range };
        break;
      }
      case 'min-mean-logprob': {
        const min = number('a log-probability ≤ 0, e.g. -1.5', (v) => v <= 0);
        if (min !== undefined) out = { type: 'min-mean-logprob', min, range };
        break;
      }
      case 'max-tokens': {
        const max = number('a whole number of tokens ≥ 1', (v) => Number.isInteger(v) && v >= 1);
        if (max === undefined) break;
        if (maxNewTokens !== undefined && max >= maxNewTokens) {
          this.warn(valuePath, `max-tokens ${max} can never fail: the case generates at most max_tokens ${maxNewTokens}.`);
        }
        out = { type: 'max-tokens', max, range };
        break;
      }
    }
    return this.errorCount() > before ? undefined : out;
  }

  private schemaAssertion(raw: Record<string, unknown>, path: Path, range: SourceRange): Assertion | undefined {
    if ((raw.schema === undefined) === (raw.schema_file === undefined)) {
      this.error(raw.schema !== undefined ? [...path, 'schema_file'] : path,
        'The json-schema assertion needs exactly one of "schema:" (an inline JSON Schema) or "schema_file:" (a .json file next to the suite).', 'head');
      return undefined;
    }
    const inline = raw.schema !== undefined;
    const at: Path = [...path, inline ? 'schema' : 'schema_file'];
    let schema: unknown = raw.schema;
    let source = 'the inline schema';
    if (!inline) {
      if (typeof raw.schema_file !== 'string' || raw.schema_file.trim() === '') {
        this.error(at, `schema_file must be a path relative to the suite (got ${show(raw.schema_file)}).`);
        return undefined;
      }
      source = raw.schema_file;
      const text = this.read(raw.schema_file, at, 'schema_file');
      if (text === undefined) return undefined;
      try {
        schema = parseSchemaText(text, source);
      } catch (e) {
        if (!(e instanceof SchemaError)) throw e;
        this.error(at, e.message);
        return undefined;
      }
    }
    try {
      const checked = checkSchema(schema, source);
      return { type: 'json-schema', schema: checked.schema, source, range };
    } catch (e) {
      if (!(e instanceof SchemaError)) throw e;
      // Point into the inline schema where ajv names a place ("/properties/age/type").
      const inner = inline && e.schemaPath ? e.schemaPath.split('/').slice(1).map(unescapePointer) : [];
      this.error([...at, ...inner], e.message);
      return undefined;
    }
  }

  /** A scalar as text the way it is written: `0.10` stays "0.10", `007` stays "007". */
  private asWritten(value: unknown, path: Path): string {
    if (typeof value === 'string') return value;
    return this.where.source(path) ?? String(value);
  }

  private read(file: string, at: Path, key: SuiteFileReference['key']): string | undefined {
    if (!this.options.readFile) {
      this.error(at, `${key} cannot be read here (no file access); inline the text instead.`);
      return undefined;
    }
    try {
      return this.options.readFile(file, key);
    } catch (e) {
      const code = (e as { code?: string }).code;
      // A reader that refuses a file by rule (outside the workspace, not regular, too big) says so itself.
      if ((e as Error).name === 'UnsafeFileError') {
        this.error(at, `${(e as Error).message} Paths are relative to the suite file.`);
        return undefined;
      }
      const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message;
      this.error(at, `${key}: cannot read "${file}" (${reason}). Paths are relative to the suite file.`);
      return undefined;
    }
  }

  private integer(value: unknown, path: Path, key: string, fallback: number, [min, max]: readonly [number, number], loud: boolean, what = ''): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      const range = max === 0xffffffff ? `≥ ${min}` : `in [${min}, ${max}]`;
      if (loud) this.error(path, `${key} must be an integer ${range} (got ${show(value)})${what}.`);
      return fallback;
    }
    return value;
  }

  private unknownKeys(raw: Record<string, unknown>, path: Path, allowed: readonly string[], where: string): void {
    for (const key of Object.keys(raw)) {
      if (allowed.includes(key)) continue;
      this.error([...path, key], `Unknown key "${key}" ${where}.${didYouMean(key, allowed)} Allowed: ${allowed.join(', ')}.`, 'key');
    }
  }

  private errorCount(): number {
    return this.problems.filter((p) => p.severity === 'error').length;
  }

  private error(path: Path, message: string, part: Part = 'value'): void {
    this.problems.push({ message, range: this.where.range(path, part), severity: 'error' });
  }

  private warn(path: Path, message: string): void {
    this.problems.push({ message, range: this.where.range(path), severity: 'warning' });
  }
}

/** `value`: the node at the path; `key`: its key; `head`: the first line of a mapping (its first key). */
type Part = 'value' | 'key' | 'head';

/** Maps paths in the parsed value back to lines and columns in the text. */
class Locator {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
    private readonly text: string,
  ) {}

  offsets(start: number, end: number): SourceRange {
    const from = Math.min(start, this.text.length);
    // Block collections end after their last line break; stop at the last character instead.
    let to = Math.min(Math.max(end, from + 1), this.text.length);
    while (to > from + 1 && /\s/.test(this.text[to - 1]!)) to--;
    const a = this.lines.linePos(from);
    const b = this.lines.linePos(to);
    return { line: a.line, column: a.col, endLine: b.line, endColumn: b.col };
  }

  /** The source text of the plain scalar at `path`, if that is what is there. */
  source(path: Path): string | undefined {
    const node = this.resolve(this.find(path).node);
    return isScalar(node) && typeof node.source === 'string' ? node.source : undefined;
  }

  range(path: Path, part: Part = 'value'): SourceRange {
    const found = this.find(path);
    const keyNode = found.keyNode;
    let node = found.node;
    if (part === 'key' && keyNode?.range) return this.offsets(keyNode.range[0], keyNode.range[1]);
    node = this.resolve(node) ?? node;
    if (part === 'head' && isMap(node) && node.items.length > 0) {
      const first = node.items[0]!.key as Node;
      if (first.range) return this.offsets(first.range[0], first.range[1]);
    }
    if (!node?.range) return this.offsets(0, 1);
    return this.offsets(node.range[0], node.range[1]);
  }

  /** The deepest node along `path` (and the key it hangs from): a missing tail points at its parent. */
  private find(path: Path): { node: Node | null | undefined; keyNode?: Node } {
    let node: Node | null | undefined = this.doc.contents;
    let keyNode: Node | undefined;
    for (const segment of path) {
      node = this.resolve(node);
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) break;
        keyNode = pair.key as Node;
        // A key with no value ("prompt:") has no value node: point at the key.
        node = (pair.value as Node | null) ?? keyNode;
      } else if (isSeq(node) && typeof segment === 'number' && node.items[segment]) {
        keyNode = undefined;
        node = node.items[segment] as Node;
      } else break;
    }
    return { node, keyNode };
  }

  private resolve(node: Node | null | undefined): Node | null | undefined {
    return isAlias(node) ? (node.resolve(this.doc) as Node | undefined) : node;
  }
}

/** The offset of the quote an unclosed quoted scalar opened with, scanning back from where yaml gave up. */
function openingQuote(text: string, message: string, from: number): { at: number; quote: string } | undefined {
  const quote = /"quote|double/.test(message) ? '"' : /'|single/.test(message) ? "'" : undefined;
  if (!quote) return undefined;
  for (let i = Math.min(from, text.length) - 1; i >= 0; i--) {
    if (text[i] !== quote) continue;
    // \" inside a double-quoted string and '' inside a single-quoted one are not the opening quote.
    if (quote === '"' ? text[i - 1] === '\\' : text[i - 1] === "'" || text[i + 1] === "'") continue;
    return { at: i, quote };
  }
  return undefined;
}

function unescapePointer(segment: string): string | number {
  const s = segment.replace(/~1/g, '/').replace(/~0/g, '~');
  return /^\d+$/.test(s) ? Number(s) : s;
}

/** What a stack overflow while reading a suite means to its author. */
const TOO_DEEP = 'The file nests too deeply to read (the parser ran out of stack). Suites and inline schemas need only a few levels; move a deep schema to a schema_file with "$defs".';

function yamlMessage(message: string): string {
  if (/Maximum call stack size exceeded/.test(message)) return TOO_DEEP;
  // yaml's messages end with " at line L, column C" when pretty; ours carry the range instead.
  return message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value === 'string' ? 'text' : `a ${typeof value}`} ${JSON.stringify(value)}`;
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : typeof value === 'object' && value !== null ? describe(value) : String(value);
}

/** " Did you mean "contains"?" for a name within two edits of an allowed one. */
export function didYouMean(input: string, options: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const option of options) {
    const d = editDistance(normalizeName(input), normalizeName(option));
    if (d < bestDistance) [best, bestDistance] = [option, d];
  }
  return best ? ` Did you mean "${best}"?` : '';
}

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_\s]/g, '');
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
