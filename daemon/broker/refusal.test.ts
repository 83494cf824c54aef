import { describe, expect, it } from 'vitest';
import { judgeRefusal, refusalOf } from './refusal.js';

describe('judgeRefusal', () => {
  it('ends the session only when the refresh token itself is refused', () => {
    expect(judgeRefusal({ error: 'invalid_grant', errorCodes: [] }).kind).toBe('session_ended');
    expect(judgeRefusal({ error: 'invalid_grant', suberror: 'bad_token', errorCodes: [70008] }).kind).toBe('session_ended');
    expect(judgeRefusal({ error: 'invalid_grant', errorCodes: [70008] }).kind).toBe('session_ended');
  });

  it('keeps the session for Entra consent and MFA refusals of one request', () => {
    expect(judgeRefusal({ error: 'invalid_grant', suberror: 'consent_required', errorCodes: [65001] }).kind).toBe('request_refused');
    expect(judgeRefusal({ error: 'invalid_grant', suberror: 'basic_action', errorCodes: [50076] }).kind).toBe('request_refused');
    expect(judgeRefusal({ error: 'invalid_grant', errorCodes: [50076] }).kind).toBe('request_refused');
  });

  it('keeps the session for scope, resource and interaction refusals', () => {
    for (const error of ['invalid_scope', 'invalid_target', 'interaction_required', 'consent_required']) expect(judgeRefusal({ error, errorCodes: [] }).kind).toBe('request_refused');
  });

  it('leaves everything else to the caller', () => {
    expect(judgeRefusal({ error: 'invalid_client', errorCodes: [] }).kind).toBe('other');
    expect(judgeRefusal(undefined).kind).toBe('other');
  });
});

describe('refusalOf', () => {
  it('reads error, suberror and error_codes from an OAuth error with its body as cause', () => {
    const e = Object.assign(new Error('x'), { error: 'invalid_grant', cause: { error: 'invalid_grant', suberror: 'consent_required', error_codes: [65001] } });
    expect(refusalOf(e)).toEqual({ error: 'invalid_grant', suberror: 'consent_required', errorCodes: [65001] });
    expect(refusalOf(new Error('network'))).toBeUndefined();
  });
});
