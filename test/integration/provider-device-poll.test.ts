/**
 * One transient failure while polling the device flow does not end the login (issue 10,
 * item 13): a 503 from the IdP (a test-IdP knob) or a connection reset in front of it
 * (the fault proxy), and polling goes on; the code's expiry is enforced by the agent's
 * own clock too, so a provider that never answers properly ends the login when the code
 * expires, as "the code expired", not earlier and not never.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../client/agent-client.js';
import { openLoginStream } from '../../client/login-stream.js';
import { startAgent } from '../../daemon/agent.js';
import type { LoginEvent } from '../../shared/api.js';
import { makeTestHome } from '../fixtures/agent-home.js';
import { startFaultProxy, type FaultRule } from '../fixtures/fault-proxy.js';
import { startTestIdp, type TestIdpOptions } from '../fixtures/idp.js';
import { loginThroughAgent } from '../fixtures/login.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function rig(idpOpts: TestIdpOptions, fault?: FaultRule) {
  const proxy = await startFaultProxy();
  const idp = await startTestIdp({ ...idpOpts, issuer: proxy.url });
  proxy.setTarget(idp.listenUrl);
  if (fault) proxy.fault(fault);
  const home = makeTestHome();
  home.writeConfig({ storage: 'file', profiles: { work: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read'] } } });
  const agent = await startAgent({ pathEnv: home.pathEnv, log: 'file' });
  const client = new AgentClient({ socketPath: agent.socketPath, autostart: false });
  cleanups.push(async () => {
    await agent.close();
    await proxy.close();
    await idp.close();
    home.cleanup();
  });
  return { proxy, idp, client };
}

describe('device polling', () => {
  it('goes on after one 5xx from the provider, and the login succeeds', async () => {
    const { idp, client } = await rig({ knobs: { serverErrorOnPoll: 1 } });
    const events = await loginThroughAgent(client, idp, 'work');
    expect(events.at(-1)).toMatchObject({ event: 'success', subject: 'alice' });
    expect(idp.counts().deviceCodePolls).toBeGreaterThanOrEqual(2);
  });

  it('goes on after a connection reset, and the login succeeds', async () => {
    const { idp, proxy, client } = await rig({}, { match: 'deviceCodePolls', kind: 'reset', times: 1 });
    const events = await loginThroughAgent(client, idp, 'work');
    expect(events.at(-1)).toMatchObject({ event: 'success' });
    expect(proxy.seen('deviceCodePolls')).toBeGreaterThanOrEqual(2);
  });

  it('ends when the code expires by the agent\'s clock, however the provider answers', async () => {
    // Every poll gets a gateway's 502: the IdP itself never sees one, so it cannot say expired_token.
    const { proxy, client } = await rig({ deviceCodeTTL: 3 }, { match: 'deviceCodePolls', kind: 'status', status: 502 });
    const stream = await openLoginStream(client, { profile: 'work' });
    const events: LoginEvent[] = [];
    for await (const ev of stream.events) events.push(ev);
    expect(events.at(-1)).toMatchObject({ event: 'error', error: 'login_required', message: expect.stringMatching(/code expired/) });
    expect(proxy.seen('deviceCodePolls')).toBeGreaterThanOrEqual(2);
  });
});
