import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { TokenResponse } from '../../../shared/api.js';
import { captureIO } from '../../../test/fixtures/test-io.js';
import type { AgentClient } from '../../agent-client.js';
import { answer, mayPrompt, run } from './git-credential.js';
import { readCredential } from './protocol.js';

const token: TokenResponse = { accessToken: 'ey.token.sig', tokenType: 'Bearer', expiresAt: 1_900_000_000, scopes: [], profile: 'work' };
const noAgent = (): AgentClient => {
  throw new Error('the agent must not be contacted');
};

function ioWith(input: string, env: Record<string, string> = {}) {
  return { ...captureIO(noAgent, { AUTHCTL_CONFIG_DIR: '/nonexistent', AUTHCTL_SYSTEM_CONFIG: '/nonexistent', ...env }), stdin: Readable.from([input]) };
}

describe('git credential protocol', () => {
  it('reads attributes up to the blank line, with url=, repeated keys and a capability reset', async () => {
    const cred = await readCredential(
      Readable.from(['capability[]=authtype\r\ncapability[]=\ncapability[]=state\nurl=https://alice@git.example.com:8443/team/repo.git\nwwwauth[]=Basic realm="x"\nweird\n\nprotocol=http\n']),
    );
    expect(cred).toEqual({
      capabilities: ['state'],
      wwwauth: ['Basic realm="x"'],
      protocol: 'https',
      host: 'git.example.com:8443',
      path: 'team/repo.git',
      username: 'alice',
    });
  });

  it('reads to the end of input when there is no blank line (how git sends it)', async () => {
    expect(await readCredential(Readable.from(['protocol=https\nhost=h'], { objectMode: false }))).toMatchObject({ protocol: 'https', host: 'h' });
  });

  it('answers Basic by default: the configured username, else git\'s, else oauth2', () => {
    const cred = { capabilities: ['authtype'], wwwauth: [], protocol: 'https', host: 'h' };
    expect(answer({}, cred, token)).toEqual([
      ['username', 'oauth2'],
      ['password', 'ey.token.sig'],
      ['password_expiry_utc', '1900000000'],
    ]);
    expect(answer({}, { ...cred, username: 'alice' }, token)[0]).toEqual(['username', 'alice']);
    expect(answer({ gitUsername: 'x-token' }, { ...cred, username: 'alice' }, token)[0]).toEqual(['username', 'x-token']);
    // A pre-issued token has no known expiry: no password_expiry_utc.
    expect(answer({}, cred, { ...token, expiresAt: 0 }).map(([k]) => k)).toEqual(['username', 'password']);
  });

  it('answers Bearer only when git offers authtype and the profile asks for it', () => {
    const offered = { capabilities: ['authtype'], wwwauth: [] };
    expect(answer({ gitAuthType: 'bearer' }, offered, token)).toEqual([
      ['capability[]', 'authtype'],
      ['authtype', 'Bearer'],
      ['credential', 'ey.token.sig'],
      ['ephemeral', '1'],
      ['password_expiry_utc', '1900000000'],
    ]);
    expect(answer({ gitAuthType: 'bearer' }, { capabilities: [], wwwauth: [] }, token)[0]![0]).toBe('username');
    expect(answer({ gitAuthType: 'basic' }, offered, token)[0]![0]).toBe('username');
  });

  it('capability prints version 0 and authtype; store and unknown operations are silent', async () => {
    const cap = ioWith('');
    expect(await run({ operation: 'capability' }, cap)).toBe(0);
    expect(cap.out()).toBe('version 0\ncapability authtype\n');
    for (const operation of ['store', 'frobnicate']) {
      const io = ioWith('protocol=https\nhost=h\npassword=p\n\n');
      expect(await run({ operation }, io)).toBe(0);
      expect([io.out(), io.err()]).toEqual(['', '']);
    }
  });

  it('get for a remote no profile matches: no answer, no agent contacted', async () => {
    const io = ioWith('protocol=https\nhost=github.com\n\n');
    expect(await run({ operation: 'get' }, io)).toBe(0);
    expect([io.out(), io.err()]).toEqual(['', '']);
  });

  it('get never sends a token over plain http to a host that is not this machine', async () => {
    const io = ioWith('protocol=http\nhost=git.example.com\n\n', { AUTHCTL_TOKEN: 'pre-issued' });
    expect(await run({ operation: 'get', profile: 'work' }, io)).toBe(0);
    expect(io.out()).toBe('');
    expect(io.err()).toContain('use https');
    const local = ioWith('protocol=http\nhost=127.0.0.1:8080\n\n', { AUTHCTL_TOKEN: 'pre-issued' });
    await run({ operation: 'get', profile: 'work' }, local);
    expect(local.out()).toBe('username=oauth2\npassword=pre-issued\n');
  });

  it('refuses a carriage return or NUL inside any attribute, also one decoded from url= (CVE-2024-52006)', async () => {
    const hostile = [
      'protocol=https\nhost=git.example.com\rhost=evil.example\n\n',
      'protocol=https\nhost=git.example.com\npath=team/repo\rx\n\n',
      'protocol=https\nhost=git.example.com\0\n\n',
      'url=https://git.example.com/team/repo%0dhost=evil\n\n',
      'url=https://a%0d@git.example.com/team\n\n',
      'protocol=https\nusername=\ralice\n',
    ];
    for (const input of hostile) {
      const io = ioWith(input, { AUTHCTL_TOKEN: 'pre-issued' });
      const err = await run({ operation: 'get', profile: 'work' }, io).catch((e) => e);
      expect(err, JSON.stringify(input)).toMatchObject({ code: 'bad_request', message: expect.stringContaining('CVE-2024-52006') });
      expect(io.out()).toBe('');
    }
    // A CRLF line end is a line end (git's own reader drops the CR), not a CR in the value.
    const crlf = ioWith('protocol=https\r\nhost=127.0.0.1\r\n\r\n', { AUTHCTL_TOKEN: 'pre-issued' });
    expect(await run({ operation: 'get', profile: 'work' }, crlf)).toBe(0);
    expect(crlf.out()).toBe('username=oauth2\npassword=pre-issued\n');
  });

  it('echoes what git sent without control characters', async () => {
    const io = ioWith('protocol=http\nhost=git\x1b]0;pwned\x07.example.com\n\n', { AUTHCTL_TOKEN: 'pre-issued' });
    expect(await run({ operation: 'get', profile: 'work' }, io)).toBe(0);
    expect(io.err()).toContain('not sending a token to http://git^[]0;pwned^G.example.com');
    expect(io.err()).not.toMatch(/[\x1b\x07]/);
  });

  it('never prompts when git says not to', () => {
    const never = () => undefined;
    for (const v of ['0', 'false', 'no', 'off']) expect(mayPrompt({ GIT_TERMINAL_PROMPT: v }, never)).toBe(false);
    for (const v of ['false', 'never', 'No', '0']) expect(mayPrompt({}, (k) => (k === 'credential.interactive' ? v : undefined))).toBe(false);
  });
});
