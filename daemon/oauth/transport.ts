/**
 * The HTTP transport under openid-client: undici with EnvHttpProxyAgent, so HTTPS_PROXY,
 * HTTP_PROXY and NO_PROXY work (Node 20's global fetch ignores them), an explicit
 * timeout, and an extra CA bundle. Provider quirks are normalised here, in one place.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { EnvHttpProxyAgent, fetch as undiciFetch, type Dispatcher } from 'undici';

export type FetchLike = (url: string, init: RequestInit & { signal?: AbortSignal }) => Promise<Response>;

export interface TransportOptions {
  /** PEM file(s) of extra CAs (config, or NODE_EXTRA_CA_CERTS). */
  extraCaFiles?: string[];
  timeoutMs?: number;
}

export function createDispatcher(opts: TransportOptions = {}): Dispatcher {
  const extra = (opts.extraCaFiles ?? []).map((f) => readFileSync(f, 'utf8'));
  const connect = extra.length ? { ca: [...rootCertificates, ...extra] } : undefined;
  const timeout = opts.timeoutMs ?? 15_000;
  return new EnvHttpProxyAgent({
    connect,
    headersTimeout: timeout,
    bodyTimeout: timeout,
    ...(connect ? { requestTls: connect, proxyTls: connect } : {}),
  } as ConstructorParameters<typeof EnvHttpProxyAgent>[0]);
}

export function createFetch(dispatcher: Dispatcher): FetchLike {
  return (url, init) =>
    undiciFetch(url, { ...(init as object), dispatcher } as Parameters<typeof undiciFetch>[1]) as unknown as Promise<Response>;
}
