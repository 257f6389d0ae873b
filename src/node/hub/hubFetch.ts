/**
 * The one HTTP client of the hub code: undici's fetch with a proxy dispatcher (an explicit proxy
 * URL, e.g. VS Code's http.proxy, or HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment), a
 * User-Agent, and the bearer token sent only to the configured endpoint's origin.
 */
import { Agent, EnvHttpProxyAgent, ProxyAgent, fetch as undiciFetch, type Dispatcher } from 'undici';
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

/**
 * fetch for the hub: adds the User-Agent, and the token only when the URL is on the endpoint's
 * origin (a redirect to a CDN must not carry it, as browsers and huggingface_hub behave).
 */
export function hubFetch(config: Pick<HubConfig, 'endpoint' | 'token' | 'proxy'>): FetchLike {
  const origin = new URL(config.endpoint).origin;
  const dispatcher = dispatcherFor(config.proxy);
  return (url, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set('user-agent', USER_AGENT);
    if (config.token && new URL(url).origin === origin) headers.set('authorization', `Bearer ${config.token}`);
    else headers.delete('authorization');
    return undiciFetch(url, { ...(init as object), headers, dispatcher } as Parameters<typeof undiciFetch>[1]) as unknown as Promise<Response>;
  };
}
