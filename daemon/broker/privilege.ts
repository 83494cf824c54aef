/**
 * Is a token request privileged, and which scopes does the agent ask the provider for?
 * A pure function of the request and the profile's policy (DESIGN.md, "Token broker
 * rules"): privileged when the request says so or when policy matches one of its scopes,
 * its audience or its resource. Ordinary requests never get a privileged scope, not even
 * when they name no scope at all.
 */
import type { ResolvedProfile } from '../../shared/config.js';
import { AuthctlError } from '../../shared/errors.js';
import { uniqueInOrder } from '../../shared/scopes.js';
import type { TokenParams } from '../oauth/oauth-engine.js';

export interface TokenPlan {
  /** What the agent asks the provider for (a narrowed refresh grant). */
  params: TokenParams;
  /** Set when the request needs a one-time password first. */
  privileged?: { reason: string; cacheSeconds: number };
}

/**
 * `requested` carries the request's scopes (in the order given, duplicates dropped, or
 * undefined for none) and its effective audience and resource (the profile's defaults
 * filled in). Scopes keep their order on the wire: Entra picks the resource from the first.
 */
export function planTokenRequest(requested: TokenParams, askedPrivileged: boolean, profile: ResolvedProfile): TokenPlan {
  const policy = profile.privileged ?? {};
  const privilegedScopes = new Set(policy.scopes ?? []);
  const reasons: string[] = [];
  if (askedPrivileged) reasons.push('the request asks for a privileged token');
  const matched = (requested.scopes ?? []).filter((s) => privilegedScopes.has(s));
  if (matched.length) reasons.push(`${listOf('scope', matched)} privileged by policy`);
  if (requested.audience && policy.audiences?.includes(requested.audience)) reasons.push(`audience "${requested.audience}" is privileged by policy`);
  if (requested.resource && policy.resources?.includes(requested.resource)) reasons.push(`resource "${requested.resource}" is privileged by policy`);

  if (!reasons.length) {
    if (requested.scopes || !privilegedScopes.size) return { params: requested };
    // No scope named: the provider would answer with everything granted at login,
    // privileged scopes included; ask for the login scopes without them instead.
    const ordinary = profile.scopes.filter((s) => !privilegedScopes.has(s));
    if (!ordinary.length) {
      throw new AuthctlError(
        'config_invalid',
        `profile "${profile.name}" has privileged scopes but no other login scopes, so an ordinary token cannot leave them out: name the scopes you need with --scope, or list the profile's "scopes"`,
      );
    }
    return { params: { ...requested, scopes: uniqueInOrder(ordinary) } };
  }

  let scopes = requested.scopes;
  if (!scopes && privilegedScopes.size) {
    // "Privileged" with no scope named: the policy's privileged scopes that login asked for.
    const granted = [...privilegedScopes].filter((s) => profile.scopes.includes(s));
    scopes = uniqueInOrder(granted.length ? granted : [...privilegedScopes]);
  }
  return { params: { ...requested, scopes }, privileged: { reason: reasons.join('; '), cacheSeconds: policy.cacheSeconds ?? 0 } };
}

function listOf(noun: string, items: string[]): string {
  const quoted = items.map((s) => `"${s}"`).join(', ');
  return items.length === 1 ? `${noun} ${quoted} is` : `${noun}s ${quoted} are`;
}
