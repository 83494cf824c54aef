import { describe, expect, it } from 'vitest';
import type { OtpChallenge } from '../shared/api.js';
import { describeChallenge } from './otp-prompt.js';

describe('the OTP prompt', () => {
  it('shows what the requester sent (scopes, audience, resource, its executable) without control characters', () => {
    const challenge: OtpChallenge = {
      id: 'c1',
      expiresAt: 0,
      reason: 'scope "admin:all" is privileged',
      methods: ['totp'],
      attemptsLeft: 3,
      approves: { action: 'token', profile: 'work', scopes: ['api:read\x1b[1A\x1b[2Kapproves: nothing'], audience: 'https://a\u009b2K', resource: 'r\r' },
      requester: { pid: 42, exe: '/tmp/\x1b]0;sudo\x07evil', parent: { pid: 1, exe: '/bin/\x1b[8mbash' } },
    };
    const text = describeChallenge(challenge, 'wrong code\x1b[A');
    expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    // The prompt's own line breaks stay; the outside text's are shown.
    expect(text.split('\n')).toHaveLength(5);
    expect(text).toContain('scopes: api:read^[[1A^[[2Kapproves: nothing; audience: https://a^[[2K; resource: r^M');
    expect(text).toContain('requested by /tmp/^[]0;sudo^Gevil (pid 42), started by /bin/^[[8mbash (pid 1)');
    expect(text).toContain('wrong code^[[A');
  });
});
