/**
 * No secret ever leaks: a whole day of the built agent at debug log level (login, tokens in
 * every output format, scoped tokens, rotation, requests that carry tokens where they do
 * not belong, a refresh token revoked behind its back, logout), driven through the built
 * CLI. Afterwards the agent's log files, its stderr, every CLI's stderr, the status and
 * doctor output and the config files are searched for every access and refresh token the
 * test saw: zero hits. The audit log records each token decision with the verified peer
 * pid and executable, never a token. And the log redaction itself: a known token inside a
 * longer string, at any depth, is masked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { AgentClient } from '../../client/agent-client.js';
import { createLogger, Redactor } from '../../daemon/log.js';
import { EXIT } from '../../shared/errors.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { auditEvents, cliAs, startBuiltAgent, waitFor, type AgentProcess, type RunResult } from '../fixtures/agent-as-user.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { loginThroughAgent } from '../fixtures/login.js';
import { SecretWitness } from '../fixtures/secret-witness.js';

// Long enough that a loaded machine never refreshes between the output-format calls below;
// the rotation test forces its refresh by dropping the cached token instead of waiting.
const TTL = 60;
let idp: TestIdp;
let home: TestHome;
let agent: AgentProcess;
let client: AgentClient;
const witness = new SecretWitness();

function storedRefreshToken(): string | undefined {
  return JSON.parse(readFileSync(join(home.dir, 'state', 'authctl', 'sessions.json'), 'utf8')).sessions.work?.refreshToken;
}

/** Runs the built CLI; its stderr (and, unless it is a token, its stdout) is searched at the end. */
async function cli(args: string[], stdoutIsToken = false): Promise<RunResult> {
  const r = await cliAs(undefined, args, home.env);
  witness.watch(`stderr of \`authctl ${args.join(' ')}\``, () => r.stderr);
  if (!stdoutIsToken) witness.watch(`stdout of \`authctl ${args.join(' ')}\``, () => r.stdout);
  return r;
}

function filesUnder(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
    .join('\n');
}

beforeAll(async () => {
  idp = await startTestIdp({ accessTokenTTL: TTL });
  home = makeTestHome();
  home.writeConfig({
    storage: 'file',
    profiles: { work: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read', 'api:write'], minValidSeconds: 1 } },
  });
  agent = await startBuiltAgent(home, { env: { AUTHCTL_DEBUG: '1' } });
  client = new AgentClient({ socketPath: home.socket, autostart: false });
  witness.watch('the agent log files', () => home.logs());
  witness.watch("the agent's stderr", () => agent.stderr());
  witness.watch('the config files', () => filesUnder(join(home.dir, 'config')));
});

afterAll(async () => {
  await agent?.stop();
  await idp?.close();
  const leaks = witness.leaks();
  home?.cleanup();
  // The whole point: every secret seen, searched everywhere, found nowhere.
  expect(witness.count).toBeGreaterThanOrEqual(6);
  expect(leaks).toEqual([]);
});

describe('secrets stay out of logs, errors and output', () => {
  it('login stores a refresh token (seen, to be searched for)', async () => {
    const events = await loginThroughAgent(client, idp, 'work');
    expect(events.at(-1)).toMatchObject({ event: 'success' });
    witness.see('refresh token', storedRefreshToken());
    expect(witness.count).toBe(1);
  });

  it('tokens in every output format; each decision audited with the verified pid and executable, never a token', async () => {
    const plain = await cli(['token'], true);
    expect(plain.code, plain.stderr).toBe(0);
    const token = plain.stdout.trim();
    witness.see('access token', token);
    const json = await cli(['token', '--json'], true);
    expect(JSON.parse(json.stdout).accessToken).toBe(token);
    const header = await cli(['token', '--header'], true);
    expect(header.stdout).toBe(`Authorization: Bearer ${token}\n`);
    const env = await cli(['token', '--env'], true);
    expect(env.stdout).toBe(`AUTHCTL_ACCESS_TOKEN=${token}\n`);
    const scoped = await cli(['token', '--scope', 'api:read'], true);
    expect(scoped.code, scoped.stderr).toBe(0);
    witness.see('scoped access token', scoped.stdout.trim());

    // Audit lines are written off the request path, in batches (daemon/audit-queue.ts): wait for them.
    await waitFor('the audit lines of every request', () => auditEvents(home.logs()).some((e) => e.peerPid === scoped.pid));
    const audit = auditEvents(home.logs());
    for (const r of [plain, json, header, env]) {
      expect(audit.find((e) => e.peerPid === r.pid)).toMatchObject({
        peerExe: realpathSync(process.execPath),
        profile: 'work',
        privileged: false,
        outcome: 'cached',
        timestamp: expect.any(String),
      });
    }
    expect(audit.find((e) => e.peerPid === scoped.pid)).toMatchObject({ scopes: ['api:read'], outcome: 'refreshed' });
  });

  it('a refresh with rotation: the new refresh token is stored, and seen', async () => {
    const before = storedRefreshToken();
    expect((await client.request('POST', '/v1/invalidate', { profile: 'work' })).status).toBe(200);
    const r = await cli(['token'], true);
    expect(r.code, r.stderr).toBe(0);
    witness.see('access token after refresh', r.stdout.trim());
    const after = storedRefreshToken();
    expect(after).toBeTruthy();
    expect(after).not.toBe(before);
    witness.see('rotated refresh token', after);
  });

  it('tokens sent where they do not belong are not echoed back in error messages', async () => {
    const rt = storedRefreshToken()!;
    const asProfile = await client.request<{ message: string }>('POST', '/v1/token', { profile: rt });
    const asField = await client.request<{ message: string }>('POST', '/v1/token', { [rt]: true });
    witness.watch('error answers', () => JSON.stringify([asProfile.body, asField.body]));
    expect(asProfile.status).toBe(404);
    // Named, never printed, if it does come back.
    const shown = (m: string) => m.split(rt).join('<the refresh token>');
    expect(shown(asProfile.body.message)).toBe('no profile named "[redacted]" (known: work)');
    expect(shown(asField.body.message)).toBe('unknown field "[redacted]"');
  });

  it('status and doctor show the session, never its secrets', async () => {
    const status = await cli(['status']);
    expect(status.stdout).toContain('refresh token: stored');
    const json = await cli(['status', '--json']);
    expect(JSON.parse(json.stdout).profiles[0]).toMatchObject({ hasRefreshToken: true });
    const doctor = await cli(['doctor']);
    expect(doctor.code, doctor.stdout).toBe(EXIT.ok);
  });

  it('a refresh token revoked behind the agent: login required (exit 3), and the error names no token', async () => {
    const rt = storedRefreshToken()!;
    const meta = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
    await fetch(meta.revocation_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: rt, token_type_hint: 'refresh_token', client_id: idp.clientId }),
    });
    const r = await cli(['token', '--min-valid', '3600'], true);
    expect(r.code).toBe(EXIT.loginRequired);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('authctl login --profile work');
  });

  it('a new login and a logout that revokes it', async () => {
    await loginThroughAgent(client, idp, 'work');
    witness.see('refresh token of the second login', storedRefreshToken());
    const r = await cli(['logout', '--profile', 'work']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('revoked');
  });
});

describe('the log redaction', () => {
  it('masks a known token inside a longer string, in any field, at any depth; bytes and deep values are not logged', async () => {
    const secret = `opaque-${'s3cr3t'.repeat(6)}`;
    const file = join(home.dir, 'redaction-test.log');
    const lines = async (redactor: Redactor) => {
      const log = createLogger({ kind: 'file', path: file }, redactor, 'debug');
      log.info(`provider said: invalid token ${secret}, try again`, {
        reason: `upstream=${secret};`,
        nested: { list: [`x${secret}x`], deeper: { a: { b: { c: { d: { e: { f: { g: secret } } } } } } } },
        raw: Buffer.from(secret),
      });
      log.audit({ outcome: 'cached', note: `about ${secret}` });
      await log.close();
      return readFileSync(file, 'utf8');
    };
    // Control: a redactor that never saw this (non-JWT, non-Bearer) value cannot mask it.
    expect(await lines(new Redactor())).toContain(secret);

    const redactor = new Redactor();
    redactor.add(secret);
    const text = (await lines(redactor)).split('\n').slice(-3).join('\n');
    expect(text).not.toContain(secret);
    expect(text).toContain('provider said: invalid token [redacted], try again');
    expect(text).toContain('"reason":"upstream=[redacted];"');
    expect(text).toContain('"list":["x[redacted]x"]');
    expect(text).toContain('"raw":"[bytes]"');
    expect(text).toContain('[too deep]');
    expect(text).toContain('"note":"about [redacted]"');
  });
});
