import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../agent-client.js';
import { captureIO } from '../../../test/fixtures/test-io.js';
import { formatToken, parseTokenArgs, run } from './token.js';
import { startAgent, type RunningAgent } from '../../../daemon/agent.js';
import { makeTestHome, type TestHome } from '../../../test/fixtures/agent-home.js';
import { startTestIdp, type TestIdp } from '../../../test/fixtures/idp.js';
import { loginThroughAgent } from '../../../test/fixtures/login.js';

describe('token arguments and formats', () => {
  it('parses repeated and space-separated scopes, and AUTHCTL_PROFILE', () => {
    const o = parseTokenArgs(['--scope', 'a b', '-s', 'c', '--min-valid', '30'], { AUTHCTL_PROFILE: 'env-p' });
    expect(o).toMatchObject({ scopes: ['a', 'b', 'c'], minValid: 30, profile: 'env-p', format: 'plain' });
    expect(parseTokenArgs(['--profile', 'x'], { AUTHCTL_PROFILE: 'env-p' }).profile).toBe('x');
  });

  it('rejects conflicting formats and bad numbers as usage errors', () => {
    expect(() => parseTokenArgs(['--json', '--env'], {})).toThrowError(/cannot be combined/);
    expect(() => parseTokenArgs(['--min-valid', '-1'], {})).toThrowError(/--min-valid/);
  });

  it('quotes for the shell only when needed', () => {
    const t = { accessToken: "a'b c", tokenType: 'Bearer', expiresAt: 1, scopes: [], profile: 'p' };
    expect(formatToken(t, 'env')).toBe(`AUTHCTL_ACCESS_TOKEN='a'\\''b c'\n`);
    expect(formatToken({ ...t, accessToken: 'abc.def' }, 'env')).toBe('AUTHCTL_ACCESS_TOKEN=abc.def\n');
  });
});

describe('token run() against a real agent', () => {
  let idp: TestIdp;
  let home: TestHome;
  let agent: RunningAgent;
  const client = () => new AgentClient({ socketPath: agent.socketPath, autostart: false });

  beforeAll(async () => {
    idp = await startTestIdp({ accessTokenTTL: 30 });
    home = makeTestHome();
    home.writeConfig({ storage: 'file', profiles: { p: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read'] } } });
    agent = await startAgent({ pathEnv: home.pathEnv, log: 'silent' });
    await loginThroughAgent(client(), idp, 'p');
  });

  afterAll(async () => {
    await agent?.close();
    await idp?.close();
    home?.cleanup();
  });

  it('writes only the token to stdout and the short-lifetime warning to stderr', async () => {
    const io = captureIO(client);
    // 30 s tokens, 60 s default minimum: handed out anyway, with a warning (never a loop).
    expect(await run(parseTokenArgs([], {}), io)).toBe(0);
    expect(io.out()).toMatch(/^eyJ[\w.-]+\n$/);
    expect(io.err()).toMatch(/warning: the provider issued a token valid for \d+s/);
  });

  it('AUTHCTL_TOKEN short-circuits without an agent', async () => {
    const io = captureIO(() => {
      throw new Error('must not be called');
    }, { AUTHCTL_TOKEN: 'ci-token' });
    expect(await run(parseTokenArgs(['--header'], {}), io)).toBe(0);
    expect(io.out()).toBe('Authorization: Bearer ci-token\n');
  });
});
