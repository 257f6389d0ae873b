/**
 * The structured-output routes on an engine that samples itself (a server): prompting with
 * validation, repair and test-time compute run on the text it samples; the constrained route
 * hands the schema to the engine (a server's response_format json_schema), which enforces it.
 * What the engine cannot do is refused on that route's card by name, never run some other way:
 * no json_schema on this route, no log-probs for test-time compute's pick, a strategy the server
 * cannot honour.
 */
import type { Strategy } from '../decode/types';
import type { Engine, EngineCapabilities, EngineCompareOptions, EngineJsonSchema } from '../engine/types';
import type { PromptFormat } from '../model/promptFormat';
import type { RouteId } from './routeIds';
import type { Generation, RouteConstraint, RouteSampler } from './routes';
import type { CheckedSchema } from './schema';

/** The constrained route on a server: the schema travels with each request. */
export interface ServerConstraint extends RouteConstraint {
  jsonSchema: EngineJsonSchema;
}

export interface EngineRouteOptions {
  /** The strategy every route samples with (refusals are checked against it up front). */
  strategy: Strategy;
  maxNewTokens: number;
  format?: PromptFormat;
  /** Where the schema came from ("person.schema.json"): its name on the wire. */
  schemaSource?: string;
  signal?: AbortSignal;
}

/** A name for the schema as OpenAI's json_schema.name takes it (^[A-Za-z0-9_-]{1,64}$): its title, else its file's name. */
export function schemaWireName(schema: unknown, source?: string): string {
  const title = typeof schema === 'object' && schema !== null ? (schema as { title?: unknown }).title : undefined;
  const base = typeof title === 'string' && title.trim() !== '' ? title : (source ?? '').split(/[\\/]/).pop()!.replace(/\.schema\.json$|\.json$/i, '');
  const name = base.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 64);
  return name || 'output';
}

/**
 * The run's prompt format on `caps`' engine: as the user set it; left unset (auto), chat where the
 * engine's json_schema needs a chat prompt, since a raw one would refuse the constrained route
 * until the user picked chat. Every route takes the same format, so the four stay comparable.
 */
export function routesFormat(caps: EngineCapabilities, format: PromptFormat | undefined): { format: PromptFormat | undefined; note: string } {
  if (format?.chat === undefined && caps.constrained === 'json_schema' && caps.constrainedNeedsChat) {
    return { format: { ...format, chat: true }, note: "The prompt went as a chat message, every route alike: the prompt format is auto, and this server's json_schema needs chat." };
  }
  return { format, note: format?.chat ? 'The prompt went as a chat message.' : 'The prompt went as raw text.' };
}

export function engineRouteSampler(engine: Engine, options: EngineRouteOptions): RouteSampler<ServerConstraint> {
  const caps = engine.capabilities;
  const where = engine.where;
  const { format, note: formatNote } = routesFormat(caps, options.format);
  /** The strategy as the engine samples N of it: best-of-N's candidates are the N here, picked by the routes. */
  const plain = (strategy: Strategy): Strategy => (strategy.kind === 'best_of_n' ? { ...strategy, kind: 'custom', candidates: undefined } : strategy);

  return {
    vocabSize: 0,
    refusal(route: RouteId): string | undefined {
      if (route === 'constrained') {
        if (caps.constrained === 'mask') return `constrained: needs our own token mask over the full distribution, which ${where} does not give here`;
        if (caps.constrained === 'none') return `constrained: not supported by ${where}`;
        // The schema's content does not change whether a route carries one: any stands in for it.
        return engine.refusals([options.strategy], { format, jsonSchema: { name: 'output', schema: true, strict: true } })[0]?.reason;
      }
      if (route === 'test_time' && caps.distribution === 'none') {
        return `test-time compute: picks the valid candidate by mean log-prob, which ${where} does not return`;
      }
      return engine.refusals([options.strategy], { format })[0]?.reason;
    },
    async sample(prompt, strategy, seed, firstSample, count, constraint): Promise<Generation[]> {
      const compareOptions: EngineCompareOptions = {
        maxNewTokens: options.maxNewTokens,
        seed,
        firstSample,
        samples: count,
        format,
        signal: options.signal,
        ...(constraint ? { jsonSchema: constraint.jsonSchema } : {}),
      };
      const result = await engine.compare(prompt, [plain(strategy)], compareOptions);
      const refused = result.refused?.[0];
      if (refused) throw new Error(refused.reason);
      const run = result.results[0];
      if (!run) return [];
      return run.completions.map((c) => ({ text: c.text, tokens: c.tokens, ms: run.elapsedMs }));
    },
    async constrain(checked: CheckedSchema): Promise<ServerConstraint> {
      return {
        engine: `server json_schema (${where})`,
        reason: `The server enforces the schema${caps.constrainedBy ? ` with ${caps.constrainedBy}` : ''}; Sampling Lab checks the output with ajv. ${formatNote}`,
        applied: 'the schema sent with the request',
        jsonSchema: { name: schemaWireName(checked.schema, options.schemaSource), schema: checked.schema, strict: true },
        dispose: () => undefined,
      };
    },
  };
}
