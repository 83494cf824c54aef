import { describe, expect, it } from 'vitest';
import { renderStatus } from './status.js';
import type { StatusResponse } from '../../../shared/api.js';

const base: StatusResponse = {
  version: '0.1.0',
  pid: 42,
  uptimeSeconds: 3725,
  socket: '/run/user/1/authctl/agent.sock',
  storage: { backend: 'file', warning: 'no keychain is available: refresh tokens are stored in /x (mode 0600)' },
  peerCheck: 'unavailable',
  defaultProfile: 'work',
  profiles: [
    {
      name: 'work',
      issuer: 'https://idp.example',
      clientId: 'cli',
      source: 'user',
      state: 'logged_in',
      subject: 'alice',
      hasRefreshToken: true,
      pendingWrite: true,
      cachedTokens: [{ key: 'k', scopes: ['api:read'], audience: 'https://api', expiresAt: 1_000_090 }],
    },
  ],
};

describe('status rendering', () => {
  it('shows the warnings people must see, and expiry, but no secret fields exist to show', () => {
    const text = renderStatus(base, 1_000_000_000);
    expect(text).toContain('agent: pid 42, version 0.1.0, up 1h02m');
    expect(text).toContain('! no keychain is available');
    expect(text).toContain('peer check unavailable');
    expect(text).toContain('work (default)  [user]');
    expect(text).toContain('state:   logged in as alice');
    expect(text).toContain('NOT YET WRITTEN to storage');
    expect(text).toContain('token:   api:read, aud https://api: expires in 1m30s');
  });

  it('says when this host uses a forwarded agent (authctl ssh), and where the laptop forwards from', () => {
    const remote = renderStatus({ ...base, forwarded: { destination: 'me@server' } }, 1_000_000_000);
    expect(remote).toContain('forwarded: this host uses the agent of the machine that ran `authctl ssh me@server` (tokens stay there)');
    const local = renderStatus({ ...base, forwardingSocket: '/run/user/1/authctl/agent-forward.sock' }, 1_000_000_000);
    expect(local).toContain('forwarding socket: /run/user/1/authctl/agent-forward.sock (for `authctl ssh`)');
    expect(local).not.toContain('forwarded:');
  });

  it('shows what the provider sent (subject, errors) without control characters', () => {
    const hostile = { ...base.profiles[0]!, subject: 'alice\x1b[2J\nstate:   fine', error: 'bad\u009b31m' };
    const text = renderStatus({ ...base, profiles: [hostile] }, 1_000_000_000);
    expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(text).toContain('state:   logged in as alice^[[2J^Jstate:   fine');
    expect(text).toContain('X error: bad^[[31m');
  });

  it('shows where each session is, when it ends, and a token that does not expire', () => {
    const p = base.profiles[0]!;
    const text = renderStatus(
      {
        ...base,
        profiles: [
          { ...p, name: 'gh', hasRefreshToken: false, pendingWrite: undefined, storedIn: 'keychain', sessionNote: 'no refresh token, and the token does not expire', cachedTokens: [{ key: 'k', scopes: ['repo'], expiresAt: Date.UTC(9999, 11, 31) / 1000 }] },
          { ...p, name: 'ssh', state: 'unknown', storedIn: 'keychain', storeReachable: false, cachedTokens: [] },
          { ...p, name: 'okta', pendingWrite: undefined, storedIn: 'file', sessionEndsAt: 1_000_086_400, cachedTokens: [] },
        ],
      },
      1_000_000_000,
    );
    expect(text).toContain('gh  [user]\n  issuer:  https://idp.example\n  state:   logged in as alice\n  refresh token: none\n  stored in: keychain\n  session: no refresh token, and the token does not expire\n  token:   repo: does not expire\n');
    expect(text).toContain('  stored in: keychain (which this agent cannot reach)\n');
    expect(text).toContain('  stored in: file\n  session: ends at 2001-09-10T01:46:40Z\n');
  });

  it('tells a new user how to add a profile', () => {
    expect(renderStatus({ ...base, profiles: [] }, 0)).toContain('authctl profile add NAME --issuer URL --client-id ID');
  });
});
