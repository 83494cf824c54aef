/**
 * The HTTP transport under openid-client: undici with EnvHttpProxyAgent, so HTTPS_PROXY,
 * HTTP_PROXY and NO_PROXY work (Node 20's global fetch ignores them), explicit timeouts,
 * an extra CA bundle, and a cap on answer sizes. Provider quirks are normalised here, in
 * one place: `withQuirks` wraps the fetch that openid-client gets (its customFetch) with
 * the rewriters of the profile's provider family (daemon/oauth/quirks/).
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { Dispatcher } from 'undici';
import { AuthctlError } from '../../shared/errors.js';
import type { Profile, ProviderName } from '../../shared/config.js';
import { auth0 } from './quirks/auth0.js';
import { entra } from './quirks/entra.js';
import { deviceFlow, generic } from './quirks/generic.js';
import { DEVICE_CODE_GRANT } from './quirks/types.js';
import { github } from './quirks/github.js';
import { google } from './quirks/google.js';
import { keycloak } from './quirks/keycloak.js';
import { okta } from './quirks/okta.js';
import type { OAuthRequest, ProviderQuirks } from './quirks/types.js';
import { retryAfterMs } from './retry-after.js';

export type FetchLike = (url: string, init: RequestInit & { signal?: AbortSignal }) => Promise<Response>;

export interface TransportOptions {
  /** PEM file(s) of extra CAs (config, or NODE_EXTRA_CA_CERTS). */
  extraCaFiles?: string[];
  /** Connect, headers and body timeout of each request (default 15 s). */
  timeoutMs?: number;
  /** Where the proxy variables are read (default: this process's environment). */
  env?: Record<string, string | undefined>;
  /** The proxy settings in effect (daemon/network.ts); when given, `env` is not read for them. */
  proxy?: { http: string; https: string; noProxy: string };
  /** Called for a CA file that cannot be read; without it, such a file is an error. */
  onCaProblem?: (message: string) => void;
}

/** No OAuth answer comes near this; a bigger body is a broken or hostile provider. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface Transport {
  fetch: FetchLike;
  close(): Promise<void>;
}

/**
 * The agent's transport. undici (about 20 MiB resident) is loaded on the first request to
 * a provider, not at start: an agent that only serves cached tokens never needs it. The
 * options (proxy variables, CA files) are still read now, so a broken CA file is reported
 * at start.
 */
export function createTransport(opts: TransportOptions = {}): Transport {
  const extra = readCaFiles(opts.extraCaFiles ?? [], opts.onCaProblem);
  let ready: Promise<{ fetch: FetchLike; dispatcher: Dispatcher }> | undefined;
  const load = () =>
    (ready ??= import('undici').then((undici) => {
      const dispatcher = createDispatcher(undici, extra, opts);
      return { dispatcher, fetch: createFetch(undici.fetch, dispatcher) };
    }));
  return {
    fetch: async (url, init) => (await load()).fetch(url, init),
    close: async () => {
      if (ready) await (await ready).dispatcher.close().catch(() => undefined);
    },
  };
}

function createDispatcher(undici: typeof import('undici'), extra: string[], opts: TransportOptions): Dispatcher {
  // rejectUnauthorized is passed explicitly at every TLS layer (to the provider, through a
  // proxy's tunnel, to the proxy), so NODE_TLS_REJECT_UNAUTHORIZED=0 in the agent's
  // environment can never turn certificate checks off.
  const tls = { rejectUnauthorized: true, ...(extra.length ? { ca: [...rootCertificates, ...extra] } : {}) };
  const timeout = opts.timeoutMs ?? 15_000;
  const env = opts.env ?? process.env;
  // Passed explicitly so an agent started with a given environment (a test, a service
  // unit) uses that one, and a proxy-less environment never inherits another's proxy.
  // ('' rather than undefined: undici would fall back to process.env.)
  const proxy = opts.proxy ?? { http: env.http_proxy || env.HTTP_PROXY || '', https: env.https_proxy || env.HTTPS_PROXY || '', noProxy: env.no_proxy ?? env.NO_PROXY ?? '' };
  return new undici.EnvHttpProxyAgent({
    connect: { ...tls, timeout },
    headersTimeout: timeout,
    bodyTimeout: timeout,
    httpProxy: proxy.http,
    httpsProxy: proxy.https,
    noProxy: proxy.noProxy,
    requestTls: tls,
    proxyTls: tls,
  } as ConstructorParameters<typeof undici.EnvHttpProxyAgent>[0]);
}

function readCaFiles(files: string[], onProblem?: (message: string) => void): string[] {
  const out: string[] = [];
  for (const file of files) {
    try {
      out.push(readFileSync(file, 'utf8'));
    } catch (e) {
      const message = `cannot read the CA bundle ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}); providers whose certificates need it will fail`;
      if (!onProblem) throw new AuthctlError('config_invalid', message);
      onProblem(message);
    }
  }
  return out;
}

/**
 * undici's fetch with the body read here, capped at `maxBodyBytes`, so a provider that
 * streams 10 MB or cuts the connection mid-body fails with a clear error at this layer.
 */
function createFetch(undiciFetch: typeof import('undici').fetch, dispatcher: Dispatcher, maxBodyBytes = MAX_BODY_BYTES): FetchLike {
  return async (url, init) => {
    const res = (await undiciFetch(url, { ...(init as object), dispatcher } as Parameters<typeof undiciFetch>[1])) as unknown as Response;
    const body = await readCapped(res, maxBodyBytes, url, init.signal);
    const headers = new Headers(res.headers);
    headers.delete('content-encoding'); // the body is decoded already
    headers.delete('content-length');
    const empty = res.status === 204 || res.status === 304 || body === null;
    return new Response(empty ? null : (body as unknown as BodyInit), { status: res.status, statusText: res.statusText, headers });
  };
}

async function readCapped(res: Response, max: number, url: string, signal?: AbortSignal): Promise<Uint8Array | null> {
  if (!res.body) return null;
  const host = new URL(url).host;
  const tooLarge = () => new AuthctlError('idp_error', `${host} sent an answer larger than ${max / 1024 / 1024} MiB; it is not an OAuth answer`);
  if (Number(res.headers.get('content-length')) > max) {
    await res.body.cancel().catch(() => undefined);
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > max) throw tooLarge();
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof AuthctlError || signal?.aborted) throw e;
    throw new AuthctlError('idp_unavailable', `${host} closed the connection in the middle of its answer`);
  }
  return Buffer.concat(chunks);
}

const QUIRKS: Record<ProviderName, (profile: Profile) => ProviderQuirks[]> = {
  auth0: () => [auth0],
  okta: () => [okta],
  entra: (p) => [entra(p)],
  google: () => [google],
  github: () => [github],
  keycloak: () => [keycloak],
  generic: () => [],
  manual: () => [],
};

/**
 * The profile's provider rewriters first (they know their own dialect), then the generic
 * RFC normalisation every provider gets, then the device-flow state (expiry, intervals).
 * A fresh set per Configuration: the device-flow state lives for one login.
 */
export function quirksFor(profile: Profile): ProviderQuirks[] {
  return [...QUIRKS[profile.provider ?? 'generic'](profile), generic, deviceFlow()];
}

/**
 * Wraps a fetch with quirk rewriters. Only POSTs are touched (the OAuth endpoints);
 * discovery and other GETs pass through. Answers that are neither JSON nor a form are
 * passed on as they are, for openid-client to reject with its own error.
 */
export function withQuirks(fetch: FetchLike, quirks: ProviderQuirks[]): FetchLike {
  return async (url, init) => {
    if ((init.method ?? 'GET').toUpperCase() !== 'POST') return fetch(url, init);
    const req: OAuthRequest = {
      url: new URL(url),
      params: new URLSearchParams(typeof init.body === 'string' || init.body instanceof URLSearchParams ? init.body : ''),
      headers: new Headers(init.headers),
    };
    for (const q of quirks) q.request?.(req);
    for (const q of quirks) await q.beforeSend?.(req, init.signal);
    const raw = await fetch(url, { ...init, headers: req.headers, body: req.params.toString() });
    const text = await raw.text();
    const body = parseBody(text, raw.headers.get('content-type'));
    if (!body) {
      const busy = transientAnswer(raw.status, raw.headers, {}, req);
      if (busy) throw busy;
      return new Response(text, { status: raw.status, statusText: raw.statusText, headers: raw.headers });
    }
    const answer = { status: raw.status, headers: new Headers(raw.headers), body };
    for (const q of quirks) q.response?.(answer, req);
    const busy = transientAnswer(answer.status, answer.headers, answer.body, req);
    if (busy) throw busy;
    answer.headers.set('content-type', 'application/json');
    return new Response(JSON.stringify(answer.body), { status: answer.status, headers: answer.headers });
  };
}

/** Errors that are the provider's rhythm during device polling, not trouble (RFC 8628 §3.5). */
const POLL_ANSWERS = new Set(['slow_down', 'authorization_pending']);

/**
 * A 429, a 5xx, or `temporarily_unavailable`/`server_error` (RFC 6749 §5.2) is the
 * provider being busy or in trouble, whatever else the body says (Auth0 and Okta put
 * their own codes in a 429): an `idp_unavailable` to retry, carrying how long the
 * provider asked us to wait. Only `slow_down`/`authorization_pending` in a device poll
 * keep their meaning (Auth0 sends slow_down as a 429).
 */
function transientAnswer(status: number, headers: Headers, body: Record<string, unknown>, req: OAuthRequest): AuthctlError | undefined {
  const error = typeof body.error === 'string' ? body.error : undefined;
  if (error && POLL_ANSWERS.has(error) && req.params.get('grant_type') === DEVICE_CODE_GRANT) return undefined;
  const busyError = error === 'temporarily_unavailable' || error === 'server_error';
  if (status !== 429 && status < 500 && !busyError) return undefined;
  const wait = retryAfterMs(status, headers);
  const why = status === 429 ? 'is rate-limiting this client (HTTP 429)' : status >= 500 ? `answered HTTP ${status}` : `is temporarily unavailable (${error})`;
  const asked = wait !== undefined ? `; it asked to wait ${Math.ceil(wait / 1000)}s` : '';
  return new AuthctlError('idp_unavailable', `${req.url.host} ${why}${asked}`, { httpStatus: status, ...(wait !== undefined ? { retryAfterMs: wait } : {}) });
}

/**
 * JSON, or a form-encoded body (GitHub without `Accept: application/json`), as an object;
 * a form sent as text/plain too, as golang.org/x/oauth2 accepts (older GitHub did that).
 */
function parseBody(text: string, contentType: string | null): Record<string, unknown> | undefined {
  if (/application\/x-www-form-urlencoded/i.test(contentType ?? '')) return Object.fromEntries(new URLSearchParams(text));
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    if (!/text\/plain/i.test(contentType ?? '')) return undefined;
    const form = new URLSearchParams(text.trim());
    return form.has('access_token') || form.has('error') || form.has('device_code') ? Object.fromEntries(form) : undefined;
  }
}
