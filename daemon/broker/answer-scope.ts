/**
 * RFC 6749 §3.3 lets a provider issue a token with a scope other than the one requested
 * (Keycloak ignored the scope of a refresh until a recent fix). The agent asks for exactly
 * the scopes of the request, then checks what came back: an ordinary answer that carries a
 * scope the profile's policy marks privileged is never cached or handed out; one that is
 * merely broader than asked is handed out with a warning.
 */
import { decodeJwt } from 'jose';

/** Identity scopes grant no API authority; they do not make an answer "broader". */
const IDENTITY_SCOPES = new Set(['openid', 'profile', 'email', 'address', 'phone', 'offline_access']);

export interface AnswerScopeCheck {
  /** Privileged scopes in an ordinary answer: refuse it. */
  privileged: string[];
  /** Scopes beyond those asked for (identity scopes aside): warn. */
  broader: string[];
}

/**
 * Every scope the answer says the token carries: the `scope` field of the token response,
 * and a JWT access token's `scope` (a string) or `scp` (Entra: a string; Okta: a list).
 */
export function answerScopes(responseScopes: readonly string[] | undefined, accessToken: string): string[] {
  const out = new Set(responseScopes ?? []);
  let claims: Record<string, unknown> = {};
  try {
    claims = decodeJwt(accessToken);
  } catch {
    // An opaque token says nothing about its scope; the response field is all there is.
  }
  for (const claim of [claims.scope, claims.scp]) {
    const list = typeof claim === 'string' ? claim.split(' ') : Array.isArray(claim) ? claim.filter((s): s is string => typeof s === 'string') : [];
    for (const s of list) if (s) out.add(s);
  }
  return [...out];
}

/**
 * `asked` undefined means the request sent no scope (the provider answers with the login's
 * grant, which is not "broader"); privileged scopes are refused all the same.
 */
export function checkAnswerScopes(got: readonly string[], asked: readonly string[] | undefined, privilegedScopes: readonly string[]): AnswerScopeCheck {
  const privileged = got.filter((s) => privilegedScopes.includes(s));
  const wanted = new Set(asked ?? []);
  const broader = asked ? got.filter((s) => !wanted.has(s) && !IDENTITY_SCOPES.has(s) && !privileged.includes(s)) : [];
  return { privileged, broader };
}
