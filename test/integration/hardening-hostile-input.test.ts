/**
 * Hostile input on the agent socket: more than 10 000 generated bad requests (truncated,
 * oversized, slow, binary garbage, deeply nested JSON, wrong types, unknown fields and
 * routes, browser headers, broken framing, half-closed and pipelined) against the built
 * agent with two logged-in profiles. None may get a 2xx or a 5xx, none may get a token
 * back, the agent must not crash or log an unexpected error; afterwards it still answers a
 * normal token request and no profile lost its refresh token. Also: the cap on concurrent
 * connections. Loopback IdP and Unix socket only; it stops by itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { AgentClient } from '../../client/agent-client.js';
import { MAX_CONNECTIONS } from '../../daemon/server.js';
import type { StatusResponse, TokenResponse } from '../../shared/api.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { cliAs, isAlive, startBuiltAgent, waitFor, type AgentProcess } from '../fixtures/agent-as-user.js';
import { exchange, HostileRequests, prng, type Exchange, type Kind } from '../fixtures/hostile-requests.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { loginThroughAgent } from '../fixtures/login.js';
import { SecretWitness } from '../fixtures/secret-witness.js';

/** Cases per kind; `pipelined` holds 20 requests each. */
const MIX: Array<[Kind, number]> = [
  ['garbage', 1500],
  ['truncated-head', 1000],
  ['truncated-body', 800],
  ['half-closed', 800],
  ['invalid-json', 800],
  ['deep-json', 200],
  ['wrong-type', 1500],
  ['unknown-field', 500],
  ['unknown-route', 1000],
  ['browser-headers', 600],
  ['oversized', 100],
  ['big-headers', 100],
  ['bad-framing', 300],
  ['pipelined', 40],
  ['slow', 30],
  ['slowloris', 30],
  ['carries-secrets', 200],
];
const CONCURRENCY = 48;
const SEED = Number(process.env.AUTHCTL_FUZZ_SEED) || Date.now() % 2 ** 31;

/** What each kind must get when it is answered at all (it may also just be closed). */
const EXPECTED: Partial<Record<Kind, { statuses: number[]; says?: RegExp }>> = {
  'invalid-json': { statuses: [400], says: /"the request body is not valid JSON"/ },
  'deep-json': { statuses: [400] },
  'wrong-type': { statuses: [400], says: /must be/ },
  'unknown-field': { statuses: [400], says: /unknown field \\"x_/ },
  'unknown-route': { statuses: [400, 404] },
  'browser-headers': { statuses: [400, 403] },
  oversized: { statuses: [400], says: /larger than 65536 bytes/ },
  'big-headers': { statuses: [431] },
  'bad-framing': { statuses: [400] },
  'carries-secrets': { statuses: [400, 403, 404] },
};
/** Every answer to a bad request is one of these refusals. */
const REFUSALS = [400, 403, 404, 408, 431];

let idp: TestIdp;
let home: TestHome;
let agent: AgentProcess;
let client: AgentClient;
const witness = new SecretWitness();
const refreshBefore: Record<string, string> = {};
const secrets: string[] = [];

function storedRefreshTokens(): Record<string, string | undefined> {
  const sessions = JSON.parse(readFileSync(join(home.dir, 'state', 'authctl', 'sessions.json'), 'utf8')).sessions;
  return { work: sessions.work?.refreshToken, ops: sessions.ops?.refreshToken };
}

/** A connection that sends nothing; a full listen backlog (EAGAIN) is retried. */
async function openIdle(path: string): Promise<{ socket: Socket; closed: boolean }> {
  for (;;) {
    try {
      return await new Promise((resolve, reject) => {
        const socket = connect(path);
        const entry = { socket, closed: false };
        socket.once('connect', () => resolve(entry));
        socket.once('close', () => (entry.closed = true));
        socket.once('error', reject);
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

function see(label: string, value: string | undefined): void {
  witness.see(label, value);
  if (value) secrets.push(value);
}

beforeAll(async () => {
  idp = await startTestIdp();
  home = makeTestHome();
  const profile = { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read'] };
  home.writeConfig({ storage: 'file', defaultProfile: 'work', profiles: { work: profile, ops: profile } });
  agent = await startBuiltAgent(home);
  witness.watch('the agent log', () => home.logs());
  witness.watch("the agent's stderr", () => agent.stderr());
  client = new AgentClient({ socketPath: home.socket, autostart: false });
  for (const name of ['work', 'ops']) {
    expect((await loginThroughAgent(client, idp, name)).at(-1)).toMatchObject({ event: 'success' });
    see('access token', (await client.call<TokenResponse>('POST', '/v1/token', { profile: name })).accessToken);
  }
  for (const [name, rt] of Object.entries(storedRefreshTokens())) {
    expect(rt, `profile ${name} has a refresh token`).toBeTruthy();
    refreshBefore[name] = rt!;
    see('refresh token', rt);
  }
});

afterAll(async () => {
  await agent?.stop();
  await idp?.close();
  const leaks = witness.leaks();
  home?.cleanup();
  expect(witness.count).toBeGreaterThanOrEqual(4);
  expect(leaks).toEqual([]);
});

describe(`hostile input (seed ${SEED}; replay with AUTHCTL_FUZZ_SEED=${SEED})`, () => {
  it('10 000+ bad requests: each refused or dropped, never a 2xx, a 5xx or a token; the agent survives', async () => {
    const gen = new HostileRequests(SEED, () => secrets);
    const order = prng(SEED ^ 0x5eed);
    const queue = MIX.flatMap(([kind, n]) => Array<Kind>(n).fill(kind)).sort(() => order() - 0.5);
    const results: Exchange[] = [];
    let requests = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < queue.length) {
          const c = gen.make(queue[next++]!);
          requests += c.requests;
          results.push(await exchange(home.socket, c));
        }
      }),
    );
    expect(requests).toBeGreaterThanOrEqual(10_000);

    const wrong = results.filter((r) => r.statuses.some((s) => !REFUSALS.includes(s)));
    expect(wrong.map((r) => `${r.kind}: ${r.text.slice(0, 200)}`), 'answers that are not refusals').toEqual([]);
    expect(results.filter((r) => secrets.some((s) => r.text.includes(s))).map((r) => r.kind), 'answers carrying a token').toEqual([]);
    for (const [kind, rule] of Object.entries(EXPECTED)) {
      const answered = results.filter((r) => r.kind === kind && r.statuses.length);
      expect(answered.length, `some ${kind} requests are answered`).toBeGreaterThan(0);
      const off = answered.filter((r) => !r.statuses.every((s) => rule.statuses.includes(s)) || (rule.says && !rule.says.test(r.text)));
      expect(off.map((r) => r.text.slice(0, 300)), `${kind}: ${rule.statuses.join('/')} ${rule.says ?? ''}`).toEqual([]);
    }
    expect(agent.logs()).not.toContain('"message":"unexpected error in a request"');
    expect(isAlive(agent.pid)).toBe(true);
  });

  it(`caps concurrent connections at ${MAX_CONNECTIONS}: the ones beyond are dropped, and it recovers`, async () => {
    const beyond = 44;
    const opened: Array<{ socket: Socket; closed: boolean }> = [];
    // In batches: more connects at once than the listen backlog holds fail with EAGAIN.
    while (opened.length < MAX_CONNECTIONS + beyond) {
      opened.push(...(await Promise.all(Array.from({ length: Math.min(64, MAX_CONNECTIONS + beyond - opened.length) }, () => openIdle(home.socket)))));
    }
    await waitFor('the agent to drop the connections beyond its cap', () => opened.filter((o) => o.closed).length >= beyond);
    expect(opened.filter((o) => !o.closed).length).toBeLessThanOrEqual(MAX_CONNECTIONS);
    for (const o of opened) o.socket.destroy();
    await waitFor('the agent to answer again', () => client.reachable());
  });

  it('afterwards: a normal token request works, and no profile lost its refresh token', async () => {
    for (const name of ['work', 'ops']) {
      const r = await cliAs(undefined, ['token', '--profile', name], home.env);
      witness.watch(`stderr of \`authctl token --profile ${name}\``, () => r.stderr);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
      see('access token', r.stdout.trim());
    }
    expect(storedRefreshTokens()).toEqual(refreshBefore);
    const status = await client.call<StatusResponse>('GET', '/v1/status');
    expect(status.pid).toBe(agent.pid);
    for (const p of status.profiles) expect(p, p.name).toMatchObject({ state: 'logged_in', hasRefreshToken: true });
  });
});
