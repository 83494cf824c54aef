/**
 * Audit lines are written off the request path, in batches (daemon/audit-queue.ts), yet none
 * is lost on a clean stop: every answered token request has its line in the log after a
 * SIGTERM or an `authctl daemon stop` that lands while requests are still arriving.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AgentClient } from '../../client/agent-client.js';
import { EXIT } from '../../shared/errors.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { auditEvents, cliAs, startBuiltAgent, type AgentProcess } from '../fixtures/agent-as-user.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { loginThroughAgent } from '../fixtures/login.js';

let idp: TestIdp | undefined;
let home: TestHome | undefined;
let agent: AgentProcess | undefined;

afterEach(async () => {
  agent?.kill('SIGKILL');
  await idp?.close();
  home?.cleanup();
  agent = idp = home = undefined;
});

async function loggedInAgent(): Promise<{ client: AgentClient; home: TestHome; agent: AgentProcess }> {
  idp = await startTestIdp();
  home = makeTestHome();
  home.writeConfig({ storage: 'file', profiles: { work: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read'] } } });
  agent = await startBuiltAgent(home);
  const client = new AgentClient({ socketPath: home.socket, autostart: false });
  expect((await loginThroughAgent(client, idp, 'work')).at(-1)).toMatchObject({ event: 'success' });
  return { client, home, agent };
}

/** The login leaves an access token in the cache: every answer here is a cached one. */
const cachedLinesOf = (logs: string) => auditEvents(logs).filter((e) => e.peerPid === process.pid && e.outcome === 'cached');

describe('audit lines on a clean stop', () => {
  it('SIGTERM right after the answers: every answered request is in the log', async () => {
    const { client, home, agent } = await loggedInAgent();
    const answered = 40;
    for (let i = 0; i < answered; i += 1) await client.call('POST', '/v1/token', {});
    agent.kill('SIGTERM');
    expect((await agent.exited).code).toBe(0);
    expect(cachedLinesOf(home.logs())).toHaveLength(answered);
  });

  it('`authctl daemon stop` while requests keep arriving: none of the answered ones is missing', async () => {
    const { client, home, agent } = await loggedInAgent();
    let answered = 0;
    let stopped = false;
    const traffic = (async () => {
      while (!stopped) {
        try {
          await client.call('POST', '/v1/token', {});
          answered += 1;
        } catch {
          return; // the agent has stopped listening
        }
      }
    })();
    const r = await cliAs(undefined, ['daemon', 'stop'], home.env);
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect((await agent.exited).code).toBe(0);
    stopped = true;
    await traffic;
    expect(answered).toBeGreaterThan(0);
    expect(cachedLinesOf(home.logs())).toHaveLength(answered);
  });
});
