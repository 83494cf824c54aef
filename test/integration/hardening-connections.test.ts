/**
 * Same-user denial of service (issue 11, item 11), against the built agent with its peer
 * check: one process holding a thousand idle connections does not keep another process's
 * `authctl token` out (one peer holds at most half the agent's connections, and a connection
 * that sends no request headers is closed within seconds); and a login stream whose provider
 * never decides is closed at the code's expiry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { AgentClient } from '../../client/agent-client.js';
import { openLoginStream } from '../../client/login-stream.js';
import { MAX_CONNECTIONS, MAX_CONNECTIONS_PER_PEER } from '../../daemon/server.js';
import type { LoginEvent } from '../../shared/api.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { cliAs, startBuiltAgent, waitFor, type AgentProcess } from '../fixtures/agent-as-user.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { loginThroughAgent } from '../fixtures/login.js';

let idp: TestIdp;
let home: TestHome;
let agent: AgentProcess;
let client: AgentClient;

/** Connects and sends nothing; `closed` turns true when the agent closes it (the test never does). */
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
      // More connects at once than the listen backlog holds fail with EAGAIN: try again.
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

beforeAll(async () => {
  idp = await startTestIdp();
  home = makeTestHome();
  home.writeConfig({ storage: 'file', profiles: { work: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read'] } } });
  agent = await startBuiltAgent(home);
  client = new AgentClient({ socketPath: home.socket, autostart: false });
  expect((await loginThroughAgent(client, idp, 'work')).at(-1)).toMatchObject({ event: 'success' });
});

afterAll(async () => {
  await agent?.stop();
  await idp?.close();
  home?.cleanup();
});

describe('connection bounds', () => {
  it('a thousand idle connections from one process: another process still gets its token, and the agent closes the idle ones', async () => {
    const count = MAX_CONNECTIONS + 76;
    const idle: Array<{ socket: Socket; closed: boolean }> = [];
    while (idle.length < count) {
      idle.push(...(await Promise.all(Array.from({ length: Math.min(64, count - idle.length) }, () => openIdle(home.socket)))));
    }
    const r = await cliAs(undefined, ['token', '--profile', 'work'], home.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    // Nobody here closes them: the agent does (over the peer's share at once, the rest at the headers deadline).
    await waitFor('the agent to close every idle connection', () => idle.every((c) => c.closed), 30_000);
    expect(agent.logs()).toContain(`already holds ${MAX_CONNECTIONS_PER_PEER} connections`);
    expect(await client.reachable()).toBe(true);
  });

  it('a connection that sent half its headers is closed too', async () => {
    const half = await openIdle(home.socket);
    half.socket.write('POST /v1/token HTTP/1.1\r\nHost: authctl\r\n');
    await waitFor('the agent to close the connection', () => half.closed, 30_000);
  });

  it('a body that trickles in is answered 400 and the connection closed', async () => {
    const slow = await openIdle(home.socket);
    let answer = '';
    slow.socket.on('data', (d) => (answer += d));
    slow.socket.write('POST /v1/token HTTP/1.1\r\nHost: authctl\r\nContent-Length: 20\r\n\r\n{');
    await waitFor('the agent to close the connection', () => slow.closed, 30_000);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('the request body did not arrive in time');
  });

  it('a login stream is closed at the code expiry even when the provider never decides', async () => {
    idp.tamper({
      request: (req) => (req.route === 'deviceCodePolls' ? { status: 400, body: { error: 'authorization_pending' } } : undefined),
      answer: (res, req) => {
        if (req.route === 'deviceAuthorization') res.body.expires_in = 2;
      },
    });
    try {
      const stream = await openLoginStream(client, { profile: 'work' });
      const events: LoginEvent[] = [];
      for await (const ev of stream.events) events.push(ev);
      expect(events[1]).toMatchObject({ event: 'verification' });
      expect(idp.counts().deviceCodePolls).toBeGreaterThan(0);
      expect(events.at(-1)).toMatchObject({ event: 'error', error: 'login_required', message: expect.stringMatching(/expired/) });
    } finally {
      idp.tamper(undefined);
    }
    // The session from before is untouched.
    const r = await cliAs(undefined, ['token', '--profile', 'work'], home.env);
    expect(r.code, r.stderr).toBe(0);
  });
});
