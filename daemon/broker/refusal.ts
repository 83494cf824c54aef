/**
 * What a provider's "no" to a refresh means for the session (DESIGN.md, "Token broker
 * rules"): only a refusal of the refresh token itself ends it. Entra ID answers
 * `invalid_grant` with a `suberror` (AADSTS65001 consent, AADSTS50076 MFA, ...) when one
 * resource needs an interactive step, while its multi-resource refresh token stays good for
 * every other resource; MSAL keeps the token then, and so do we. Refusals of a scope,
 * resource or interaction (`invalid_scope`, `invalid_target`, `interaction_required`,
 * `consent_required`) concern the request alone.
 */

export type RefusalVerdict =
  /** The refresh token is dead: the session ends. */
  | { kind: 'session_ended' }
  /** This request needs an interactive login for more; the session and its tokens stay. */
  | { kind: 'request_refused'; why: string }
  /** Not a refusal this module decides (network, 5xx, other errors). */
  | { kind: 'other' };

/** MSAL's interaction-required suberrors: the refresh token itself is fine. */
const KEEP_SUBERRORS = new Set(['consent_required', 'basic_action', 'additional_action', 'message_only', 'user_password_expired']);
/** AADSTS codes for consent (65001), MFA (50076, 50079, 50158), conditional access (53000-53003), device registration (50129). */
const KEEP_AADSTS = new Set([65001, 50076, 50079, 50158, 53000, 53001, 53002, 53003, 50129]);
const REQUEST_ERRORS: Record<string, string> = {
  invalid_scope: 'refused a scope this login was not granted',
  invalid_target: 'refused a resource this login was not granted',
  interaction_required: 'needs you to sign in interactively for this request',
  consent_required: 'needs your consent for this request',
};

export interface ProviderRefusal {
  error: string;
  suberror?: string;
  errorCodes: number[];
}

/** The OAuth error fields of whatever the refresh threw (openid-client's ResponseBodyError keeps the body as `cause`). */
export function refusalOf(e: unknown): ProviderRefusal | undefined {
  const err = e as { error?: unknown; cause?: unknown } | undefined;
  if (!err || typeof err.error !== 'string') return undefined;
  const body = (typeof err.cause === 'object' && err.cause !== null ? err.cause : {}) as Record<string, unknown>;
  const codes = Array.isArray(body.error_codes) ? body.error_codes.map(Number).filter(Number.isFinite) : [];
  return { error: err.error, suberror: typeof body.suberror === 'string' ? body.suberror : undefined, errorCodes: codes };
}

export function judgeRefusal(r: ProviderRefusal | undefined): RefusalVerdict {
  if (!r) return { kind: 'other' };
  if (r.error === 'invalid_grant') {
    if (r.suberror && KEEP_SUBERRORS.has(r.suberror)) return { kind: 'request_refused', why: r.suberror === 'consent_required' ? 'needs your consent for this request' : 'needs an interactive sign-in (MFA or another step) for this request' };
    if (!r.suberror && r.errorCodes.some((c) => KEEP_AADSTS.has(c))) return { kind: 'request_refused', why: 'needs an interactive sign-in for this request' };
    return { kind: 'session_ended' };
  }
  const why = REQUEST_ERRORS[r.error];
  return why ? { kind: 'request_refused', why } : { kind: 'other' };
}
