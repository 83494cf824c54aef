/**
 * The grant a session covers: issuer, client, token endpoint, audience, resource and the
 * scopes asked for and granted at login. It is stored with the session, explicitly (null
 * for "none", never a key that JSON drops), and checked before every refresh, so a refresh
 * token is only ever sent where it came from and only asked for what it can mint.
 *
 * A refresh token mints tokens only for the audience and resource its grant covers
 * (RFC 8707 §2.2; Auth0 and Okta bind the audience the same way). Asking the provider for
 * another one fails, and with rotation and reuse detection the failed request can also burn
 * the refresh token, ending the session (oidc-provider does). So the agent refuses such a
 * request itself, with the fix. Entra ID is the exception: its refresh tokens are
 * multi-resource.
 */
import type { LoginRequest } from '../../shared/api.js';
import type { ResolvedProfile } from '../../shared/config.js';
import { AuthctlError } from '../../shared/errors.js';
import { uniqueInOrder } from '../../shared/scopes.js';
import type { TokenParams } from '../oauth/oauth-engine.js';
import type { StoredSession } from '../store/session-store.js';

export interface SessionGrant {
  issuer: string;
  clientId: string;
  /** null: a session stored before the endpoint was recorded (bound at its next rotation). */
  tokenEndpoint: string | null;
  audience: string | null;
  resource: string | null;
  /** What the provider granted (or, when it did not say, what login asked for). */
  scopes: string[];
  /** What login asked for, in the order given. */
  requestedScopes: string[];
}

type GrantFields = Pick<StoredSession, 'issuer' | 'clientId' | 'tokenEndpoint' | 'audience' | 'resource' | 'scopes' | 'requestedScopes'>;

/** The fields a new session stores, every one of them present. */
export function grantFields(profile: ResolvedProfile, asked: TokenParams, tokenEndpoint: string | undefined, granted: string[] | undefined): GrantFields {
  const requestedScopes = asked.scopes ?? profile.scopes;
  return {
    issuer: profile.issuer,
    clientId: profile.clientId,
    tokenEndpoint: tokenEndpoint ?? null,
    audience: asked.audience ?? null,
    resource: asked.resource ?? null,
    scopes: granted ?? requestedScopes,
    requestedScopes,
  };
}

/** Sessions stored before the grant was recorded were made with the profile's values. */
export function grantOf(stored: StoredSession, profile: ResolvedProfile): SessionGrant {
  const recorded = 'audience' in stored || 'resource' in stored;
  return {
    issuer: stored.issuer,
    clientId: stored.clientId,
    tokenEndpoint: stored.tokenEndpoint ?? null,
    audience: (recorded ? stored.audience : profile.audience) ?? null,
    resource: (recorded ? stored.resource : profile.resource) ?? null,
    scopes: stored.scopes,
    requestedScopes: stored.requestedScopes ?? profile.scopes,
  };
}

export function checkGrantCovers(profile: ResolvedProfile, grant: SessionGrant, asked: TokenParams): void {
  if (profile.provider === 'entra') return;
  for (const [field, flag] of [
    ['audience', '--audience'],
    ['resource', '--resource'],
  ] as const) {
    const want = asked[field];
    const have = grant[field];
    // Not naming one lets the provider use what the grant covers.
    if (want === undefined || want === have) continue;
    const was = have !== null ? `for ${field} "${have}"` : `without ${field === 'audience' ? 'an' : 'a'} ${field}`;
    throw new AuthctlError(
      'usage',
      `profile "${profile.name}" was logged in ${was}, and its refresh token cannot mint tokens for "${want}": add a profile with ${flag} ${want} and log in to it`,
    );
  }
}

/**
 * A refresh token goes only to the token endpoint that issued it: a profile (or system
 * config, or discovery document) that now names another endpoint needs a new login.
 */
export function checkTokenEndpoint(profile: ResolvedProfile, grant: SessionGrant, current: string | undefined): void {
  if (grant.tokenEndpoint === null || current === grant.tokenEndpoint) return;
  throw new AuthctlError(
    'login_required',
    `profile "${profile.name}" now uses the token endpoint ${current ?? '(none)'}, but its session came from ${grant.tokenEndpoint}; the refresh token is not sent elsewhere: run \`authctl login --profile ${profile.name}\``,
    { profile: profile.name },
  );
}

/**
 * Before an OTP is asked for: a refresh may ask only for scopes the login asked for or was
 * granted (RFC 6749 §6), so anything else needs a new login first. Entra ID consents per
 * resource on the way, so it is left to the provider there.
 */
export function checkScopesGranted(profile: ResolvedProfile, grant: SessionGrant, scopes: readonly string[] | undefined): void {
  if (profile.provider === 'entra' || !scopes?.length) return;
  const known = new Set([...grant.scopes, ...grant.requestedScopes]);
  const missing = scopes.filter((s) => !known.has(s));
  if (missing.length) throw needsWiderLogin(profile, grant, missing, `${missing.length === 1 ? 'scope' : 'scopes'} ${quoted(missing)} ${missing.length === 1 ? 'was' : 'were'} not granted at login`);
}

/**
 * The session stays; this request needs a login that asks for more (exit 3). `what` says
 * what happened; the message adds the exact command: the login's scopes, in their order,
 * then the ones this request needs.
 */
export function needsWiderLogin(profile: ResolvedProfile, grant: SessionGrant | undefined, needed: readonly string[], what: string): AuthctlError {
  const scopes = uniqueInOrder([...(grant?.requestedScopes ?? profile.scopes), ...needed]);
  const flag = scopes.length ? ` --scope ${shellWord(scopes.join(' '))}` : '';
  return new AuthctlError('login_required', `${what}; your session for profile "${profile.name}" stays: run \`authctl login --profile ${profile.name}${flag}\``, {
    profile: profile.name,
    sessionKept: true,
  });
}

function quoted(items: readonly string[]): string {
  return items.map((s) => `"${s}"`).join(', ');
}

/**
 * `login --audience B` on a profile made for audience A would leave the profile asking for
 * A with a session for B: refused with the command that makes a profile of its own for B.
 */
export function checkLoginRequest(profile: ResolvedProfile, req: Pick<LoginRequest, 'audience'>): void {
  if (req.audience === undefined || profile.audience === undefined || req.audience === profile.audience) return;
  const name = `${profile.name}-${slug(req.audience)}`;
  const scopes = profile.scopes.length ? ` --scope ${shellWord(profile.scopes.join(' '))}` : '';
  throw new AuthctlError(
    'usage',
    `profile "${profile.name}" is for audience "${profile.audience}"; a login for "${req.audience}" needs a profile of its own: run \`authctl login --profile ${name} --issuer ${profile.issuer} --client-id ${profile.clientId}${scopes} --audience ${shellWord(req.audience)}\``,
  );
}

function slug(value: string): string {
  const url = URL.parse(value);
  const base = url?.host ? url.host + url.pathname : value;
  return base.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 30) || 'other';
}

/** One shell word: bare when safe, else single-quoted (scope tokens may hold `$` or `'`). */
function shellWord(s: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
