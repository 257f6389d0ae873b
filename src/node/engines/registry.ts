/**
 * The one registry of engine kinds (vscode-python-environments' registerEnvironmentManager):
 * each engine is a folder under src/node/engines/ whose main.ts registers a provider, and the CLI,
 * prompt tests and bench create engines from a spec without knowing which kinds exist.
 */
import type { Engine } from '../../core/engine/types';

/** What a caller asks for: the engine kind's id and that kind's own options. */
export interface EngineSpec {
  kind: string;
  [option: string]: unknown;
}

export interface EngineProvider<S extends EngineSpec = EngineSpec> {
  /** The spec's `kind`: 'local', 'remote'. */
  readonly kind: string;
  /** One line for help texts. */
  readonly description: string;
  create(spec: S, context: { signal?: AbortSignal }): Promise<Engine>;
}

const providers = new Map<string, EngineProvider>();

/** Registers an engine kind; a second provider for the same kind is a programming error. */
export function registerEngineProvider<S extends EngineSpec>(provider: EngineProvider<S>): void {
  if (providers.has(provider.kind)) throw new Error(`An engine provider for "${provider.kind}" is already registered.`);
  providers.set(provider.kind, provider as unknown as EngineProvider);
}

export function engineProviders(): EngineProvider[] {
  return [...providers.values()];
}

export async function createEngine(spec: EngineSpec, context: { signal?: AbortSignal } = {}): Promise<Engine> {
  const provider = providers.get(spec.kind);
  if (!provider) throw new Error(`No engine "${spec.kind}" is registered (known: ${[...providers.keys()].join(', ') || 'none'}).`);
  return provider.create(spec, context);
}
