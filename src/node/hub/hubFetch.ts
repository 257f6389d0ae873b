/**
 * The one HTTP client of the hub code: undici with a proxy dispatcher (an explicit proxy URL, e.g.
 * VS Code's http.proxy, or HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment), a
 * User-Agent, and the bearer token sent only to the configured endpoint's origin. The API calls
 * (@huggingface/hub) take its fetch; file bodies take `hubGet`, undici's request, whose Node stream
 * body costs the reading thread far less per chunk than fetch's web stream.
 */
import type { Readable } from 'node:stream';
import { Agent, EnvHttpProxyAgent, ProxyAgent, fetch as undiciFetch, request as undiciRequest, type Dispatcher } from 'undici';
import type { HubConfig } from './hubConfig';

export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

const USER_AGENT = 'sampling-lab (transformers.js; +https://github.com/huggingface/transformers.js)';

const dispatchers = new Map<string, Dispatcher>();

/** One dispatcher per proxy setting, kept for the process (connections are pooled). */
function dispatcherFor(proxy: string | undefined): Dispatcher {
  const key = proxy ?? '';
  let dispatcher = dispatchers.get(key);
  if (!dispatcher) {
    const env = process.env;
    const envProxy = env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy;
    dispatcher = proxy ? new ProxyAgent(proxy) : envProxy ? new EnvHttpProxyAgent() : new Agent();
    dispatchers.set(key, dispatcher);
  }
  return dispatcher;
}

/** The headers every hub request carries: the User-Agent, and the token only on the endpoint's origin. */
function hubHeaders(config: Pick<HubConfig, 'endpoint' | 'token'>, url: string, given?: RequestInit['headers']): Headers {
  const headers = new Headers(given);
  headers.set('user-agent', USER_AGENT);
  if (config.token && new URL(url).origin === new URL(config.endpoint).origin) headers.set('authorization', `Bearer ${config.token}`);
  else headers.delete('authorization');
  return headers;
}

/**
 * fetch for the hub: adds the User-Agent, and the token only when the URL is on the endpoint's
 * origin (a redirect to a CDN must not carry it, as browsers and huggingface_hub behave).
 */
export function hubFetch(config: Pick<HubConfig, 'endpoint' | 'token' | 'proxy'>): FetchLike {
  const dispatcher = dispatcherFor(config.proxy);
  return (url, init = {}) => {
    const headers = hubHeaders(config, url, init.headers);
    return undiciFetch(url, { ...(init as object), headers, dispatcher } as Parameters<typeof undiciFetch>[1]) as unknown as Promise<Response>;
  };
}

/** A file response: redirects are not followed (the caller decides where the token goes). */
export interface HubResponse {
  status: number;
  header(name: string): string | undefined;
  /** Yields Buffers; destroy it to drop the rest. */
  body: Readable;
}

export type HubGet = (url: string, init: { headers?: Record<string, string>; signal?: AbortSignal }) => Promise<HubResponse>;

/** GET for file bodies, with the same proxy, User-Agent and token rule as hubFetch. */
export function hubGet(config: Pick<HubConfig, 'endpoint' | 'token' | 'proxy'>): HubGet {
  const dispatcher = dispatcherFor(config.proxy);
  return async (url, init) => {
    const headers = Object.fromEntries(hubHeaders(config, url, init.headers));
    const response = await undiciRequest(url, { method: 'GET', headers, signal: init.signal, dispatcher });
    return {
      status: response.statusCode,
      header: (name) => {
        const value = response.headers[name.toLowerCase()];
        return Array.isArray(value) ? value[0] : value;
      },
      body: response.body,
    };
  };
}
