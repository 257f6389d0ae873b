/** Registers the remote engine: an OpenAI-compatible server (vLLM, llama.cpp server, Ollama, LM Studio, OpenAI). */
import { registerEngineProvider, type EngineSpec } from '../registry';
import { RemoteEngine, type RemoteEngineOptions } from './remoteEngine';

export interface RemoteEngineSpec extends EngineSpec, RemoteEngineOptions {
  kind: 'remote';
}

registerEngineProvider<RemoteEngineSpec>({
  kind: 'remote',
  description: 'an OpenAI-compatible server: vLLM, llama.cpp server, Ollama, LM Studio or OpenAI',
  async create(spec, { signal }) {
    const engine = new RemoteEngine(spec);
    await engine.resolveDialect(signal);
    return engine;
  },
});
