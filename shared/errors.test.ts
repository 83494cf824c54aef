import { describe, expect, it } from 'vitest';
import { AuthctlError, EXIT, exitCodeFor, httpStatusFor } from './errors.js';

describe('error codes', () => {
  it('map to the exit codes of DESIGN.md', () => {
    expect(exitCodeFor('unknown_profile')).toBe(EXIT.usage);
    expect(exitCodeFor('login_required')).toBe(3);
    expect(exitCodeFor('otp_required')).toBe(4);
    expect(exitCodeFor('otp_locked')).toBe(4);
    expect(exitCodeFor('idp_unavailable')).toBe(5);
    expect(exitCodeFor('idp_error')).toBe(5);
    expect(exitCodeFor('agent_unavailable')).toBe(6);
    expect(exitCodeFor('keychain_unavailable')).toBe(7);
    expect(exitCodeFor('internal')).toBe(1);
  });

  it('map to HTTP statuses of the agent API', () => {
    expect(httpStatusFor('login_required')).toBe(401);
    expect(httpStatusFor('otp_required')).toBe(403);
    expect(httpStatusFor('otp_locked')).toBe(429);
    expect(httpStatusFor('idp_error')).toBe(502);
    expect(httpStatusFor('no_matching_profile')).toBe(404);
  });

  it('round-trip through the wire body, and unknown codes become internal', () => {
    const e = AuthctlError.fromBody(new AuthctlError('idp_error', 'x', { idpError: 'invalid_scope' }).toBody());
    expect(e).toMatchObject({ code: 'idp_error', message: 'x', details: { idpError: 'invalid_scope' } });
    expect(AuthctlError.fromBody({ error: 'weird', message: 'm' }).code).toBe('internal');
    expect(AuthctlError.fromBody('garbage').code).toBe('internal');
  });
});
