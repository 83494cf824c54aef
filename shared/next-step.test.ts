import { describe, expect, it } from 'vitest';
import { closestName as closest } from './suggest.js';
import { nextStepFor } from './errors.js';

describe('did you mean', () => {
  it('finds a typo, a swapped pair and a case slip; not a far word (shared/suggest.ts)', () => {
    expect(closest('tokn', ['token', 'login'])).toBe('token');
    expect(closest('wrok', ['work', 'play'])).toBe('work');
    expect(closest('ClientID', ['clientId', 'issuer'])).toBe('clientId');
    expect(closest('frobnicate', ['token', 'login'])).toBeUndefined();
  });
});

describe('the next step after an error', () => {
  const log = '/home/u/.local/state/authctl/logs/agent.log';
  it('points at doctor for the provider and at the log for the agent, unless the message already names a command', () => {
    expect(nextStepFor('idp_unavailable', 'cannot reach idp.example.com (ECONNREFUSED)', log)).toBe('Check the network and the provider with `authctl doctor`.');
    expect(nextStepFor('idp_error', 'refused: run `authctl login --profile w`', log)).toBeUndefined();
    expect(nextStepFor('agent_unavailable', 'the agent closed the login stream', log)).toContain(log);
    expect(nextStepFor('login_required', 'no session for profile "w": run `authctl login --profile w`', log)).toBeUndefined();
    expect(nextStepFor('otp_invalid', 'wrong code', log)).toBeUndefined();
  });
});
