/**
 * The issuer's signing keys: `jwks_uri` from its discovery document, then jose's remote
 * JWK set (cached for `cacheMaxAge`, refetched when a token names an unknown `kid`, at
 * most once per `cooldown`). While the issuer is unreachable, the keys already fetched
 * keep verifying, and the issuer is asked again at most once per cooldown, so neither a
 * flood of forged `kid`s nor an outage turns every request into a fetch.
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
} from 'jose';
import { isLoopbackHost } from '../shared/config.js';
import { VerifyError } from './errors.js';

export type KeyLookup = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

export interface IssuerKeysOptions {
  issuer: string;
  /** Skips discovery. */
  jwksUri?: string;
  cooldownMs: number;
  cacheMaxAgeMs: number;
  timeoutMs: number;
  fetch: typeof fetch;
  realm?: string;
}

type RemoteSet = ReturnType<typeof createRemoteJWKSet>;

export class IssuerKeys {
  private remote?: RemoteSet;
  private pending?: Promise<RemoteSet>;
  /** Date.now() of the last failed fetch (jose keeps its own times with Date.now() too). */
  private failedAt = -Infinity;

  constructor(private readonly opts: IssuerKeysOptions) {}

  readonly lookup: KeyLookup = async (header, token) => {
    const remote = await this.remoteSet();
    const known = remote.jwks();
    if (known && Date.now() - this.failedAt < this.opts.cooldownMs) return localKey(known, header, token);
    try {
      return (await remote(header, token)) as CryptoKey;
    } catch (e) {
      if (!isFetchFailure(e)) throw e;
      this.failedAt = Date.now();
      if (known) return localKey(known, header, token);
      throw this.unavailable(`the issuer's keys cannot be fetched (${reason(e)})`, e);
    }
  };

  private async remoteSet(): Promise<RemoteSet> {
    if (this.remote) return this.remote;
    if (Date.now() - this.failedAt < this.opts.cooldownMs && !this.pending) {
      throw this.unavailable("the issuer's discovery document could not be fetched a moment ago; not asking again yet");
    }
    this.pending ??= this.discover().then(
      (uri) => {
        this.remote = createRemoteJWKSet(new URL(uri), {
          cooldownDuration: this.opts.cooldownMs,
          cacheMaxAge: this.opts.cacheMaxAgeMs,
          timeoutDuration: this.opts.timeoutMs,
          [customFetch]: this.opts.fetch,
        });
        return this.remote;
      },
      (e) => {
        this.failedAt = Date.now();
        throw e;
      },
    );
    try {
      return await this.pending;
    } finally {
      this.pending = undefined;
    }
  }

  /** OpenID Connect Discovery 1.0 §4, then RFC 8414 §3: the issuer's jwks_uri. */
  private async discover(): Promise<string> {
    if (this.opts.jwksUri) return this.opts.jwksUri;
    const issuer = this.opts.issuer.replace(/\/$/, '');
    const url = new URL(issuer);
    const candidates = [`${issuer}/.well-known/openid-configuration`, `${url.origin}/.well-known/oauth-authorization-server${url.pathname.replace(/\/$/, '')}`];
    let last = 'no answer';
    for (const candidate of candidates) {
      let res: Response;
      try {
        res = await this.opts.fetch(candidate, { headers: { accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(this.opts.timeoutMs) });
      } catch (e) {
        throw this.unavailable(`the issuer's discovery document cannot be fetched (${reason(e)})`, e);
      }
      if (res.status === 404) {
        last = 'HTTP 404';
        continue;
      }
      if (res.status !== 200) throw this.unavailable(`the issuer's discovery document answered HTTP ${res.status}`);
      const meta = (await res.json().catch(() => ({}))) as { issuer?: unknown; jwks_uri?: unknown };
      if (meta.issuer !== this.opts.issuer && meta.issuer !== issuer) throw this.unavailable(`the discovery document names another issuer (${String(meta.issuer)})`);
      if (typeof meta.jwks_uri !== 'string') throw this.unavailable('the discovery document has no jwks_uri');
      const jwks = new URL(meta.jwks_uri);
      if (jwks.protocol !== 'https:' && !(jwks.protocol === 'http:' && isLoopbackHost(jwks.hostname))) throw this.unavailable('the jwks_uri is not https');
      return jwks.href;
    }
    throw this.unavailable(`the issuer publishes no discovery document (${last})`);
  }

  private unavailable(why: string, cause?: unknown): VerifyError {
    return new VerifyError('jwks_unavailable', why, { realm: this.opts.realm, cause });
  }
}

async function localKey(jwks: JSONWebKeySet, header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> {
  return (await createLocalJWKSet(jwks)(header, token)) as CryptoKey;
}

/** Network errors, timeouts, non-200 answers and garbage: the keys could not be had. */
function isFetchFailure(e: unknown): boolean {
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid) return true;
  if (e instanceof TypeError) return true; // fetch failed
  return e instanceof errors.JOSEError && e.code === 'ERR_JOSE_GENERIC';
}

function reason(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  return (err.cause?.code ?? err.cause?.message ?? err.message ?? String(e)).slice(0, 120);
}
