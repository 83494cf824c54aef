/**
 * Small, strict validators for request bodies: unknown fields and wrong types are a 400
 * with a message that names the field, so a caller in any language knows what to fix.
 */
import { AuthctlError } from '../../shared/errors.js';
import { isScopeToken } from '../../shared/scopes.js';
import { MAX_IDENTITY_TOKEN } from '../../shared/federation.js';

type Kind = 'string' | 'boolean' | 'number' | 'string[]' | 'scopes' | 'otp' | 'federation' | 'gitRequest';

export function validateBody<T>(body: unknown, shape: Record<string, Kind>): T {
  if (body === undefined || body === null) return {} as T;
  if (typeof body !== 'object' || Array.isArray(body)) throw bad('the request body must be a JSON object');
  for (const [key, value] of Object.entries(body)) {
    const kind = Object.hasOwn(shape, key) ? shape[key] : undefined;
    if (!kind) throw bad(`unknown field "${key}"`);
    if (value === undefined || value === null) continue;
    if (!matches(kind, value)) throw bad(`"${key}" must be ${describe(kind)}`);
    if (kind === 'scopes') checkScopeTokens(key, value as string[]);
  }
  return body as T;
}

function matches(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof v === 'string' && v.length <= 2048;
    case 'boolean':
      return typeof v === 'boolean';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 31_536_000;
    case 'string[]':
    case 'scopes':
      return Array.isArray(v) && v.length <= 64 && v.every((s) => typeof s === 'string' && s.length > 0 && s.length <= 256);
    case 'otp':
      return (
        typeof v === 'object' && v !== null && !Array.isArray(v) &&
        typeof (v as Record<string, unknown>).challengeId === 'string' &&
        typeof (v as Record<string, unknown>).code === 'string' &&
        Object.keys(v).length === 2
      );
    case 'federation':
      return isFederationInput(v);
    case 'gitRequest':
      return isGitRequest(v);
  }
}

/** { ci?, requestUrl?, requestToken?, identityToken? }, each a bounded string. */
function isFederationInput(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const limits: Record<string, number> = { ci: 32, requestUrl: 2048, requestToken: 4096, identityToken: MAX_IDENTITY_TOKEN };
  return Object.entries(v).every(([key, value]) => Object.hasOwn(limits, key) && typeof value === 'string' && value.length <= limits[key]!);
}

/** { protocol, host, path? }, each a bounded string. */
function isGitRequest(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  if (typeof o.protocol !== 'string' || typeof o.host !== 'string') return false;
  return Object.entries(o).every(([key, value]) => ['protocol', 'host', 'path'].includes(key) && typeof value === 'string' && value.length <= 2048);
}

function describe(kind: Kind): string {
  return { string: 'a string', boolean: 'true or false', number: 'a non-negative number', 'string[]': 'a list of strings', scopes: 'a list of scopes', otp: 'an object { challengeId, code }', federation: 'an object { ci?, requestUrl?, requestToken?, identityToken? } of strings', gitRequest: 'an object { protocol, host, path? } of strings' }[kind];
}

/**
 * Scopes arrive already split, each one RFC 6749 scope token (shared/scopes.ts): what the
 * policy checks and the cache keys is exactly what goes on the wire, so "a b" is not
 * quietly read as two scopes here (the CLI splits what a person typed before sending).
 */
function checkScopeTokens(key: string, scopes: string[]): void {
  const wrong = scopes.find((s) => !isScopeToken(s));
  if (wrong === undefined) return;
  const hint = /[\s,]/.test(wrong) ? ': send each scope as its own list item' : '';
  throw bad(`"${key}" has ${JSON.stringify(wrong)}, which is not an OAuth scope (RFC 6749 §3.3: printable ASCII without spaces, quotes, backslashes or commas)${hint}`);
}

function bad(message: string): AuthctlError {
  return new AuthctlError('bad_request', message);
}
