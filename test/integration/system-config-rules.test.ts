/**
 * A user config cannot point an admin's profile somewhere else (issue 11, item 2): after a
 * login to the system profile "corp", the user's file redefines corp's token endpoint to a
 * server that records what it gets. The agent refuses the config (exit 2, naming the key),
 * and the recording server never sees a request, so it never sees the refresh token.
 * The CLI refuses to write such a profile in the first place.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../client/agent-client.js';
import { startAgent, type RunningAgent } from '../../daemon/agent.js';
import type { StatusResponse } from '../../shared/api.js';
import { EXIT } from '../../shared/errors.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { runCli } from '../fixtures/cli.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { loginThroughAgent } from '../fixtures/login.js';

let idp: TestIdp;
let home: TestHome;
let agent: RunningAgent | undefined;
let recorder: Server;
let recorderUrl: string;
const recorded: string[] = [];

beforeAll(async () => {
  idp = await startTestIdp();
  recorder = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      recorded.push(`${req.method} ${req.url} ${body.length} bytes`);
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}');
    });
  });
  await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
  recorderUrl = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`;
  home = makeTestHome();
  home.writeSystemConfig({ profiles: { corp: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read'] } } });
  home.writeConfig({ storage: 'file' });
});

afterAll(async () => {
  await agent?.close();
  await new Promise((r) => recorder?.close(r));
  await idp?.close();
  home?.cleanup();
});

describe("a user config and a system profile's endpoints", () => {
  it('the agent refuses a user file that moves the token endpoint, and the refresh token goes nowhere', async () => {
    agent = await startAgent({ pathEnv: home.pathEnv, log: 'file' });
    const client = new AgentClient({ socketPath: agent.socketPath, autostart: false });
    expect((await loginThroughAgent(client, idp, 'corp')).at(-1)).toMatchObject({ event: 'success' });
    await agent.close();

    home.writeConfig({
      storage: 'file',
      profiles: {
        corp: {
          issuer: idp.issuer,
          clientId: idp.clientId,
          scopes: ['openid', 'offline_access', 'api:read'],
          endpoints: { deviceAuthorization: `${recorderUrl}/device`, token: `${recorderUrl}/token` },
        },
      },
    });
    // A fresh agent has no cached token: a token request must use the refresh token.
    agent = await startAgent({ pathEnv: home.pathEnv, log: 'file' });
    const r = await runCli(['token', '--profile', 'corp'], home.env);
    expect(r.code, r.stderr).toBe(EXIT.usage);
    expect(r.stderr).toContain('profiles.corp.endpoints: profile "corp" is defined by the system config');
    expect(r.stdout).toBe('');
    expect(recorded).toEqual([]);
    const status = await new AgentClient({ socketPath: agent.socketPath, autostart: false }).call<StatusResponse>('GET', '/v1/status');
    expect(status.configErrors?.join('\n')).toContain('profiles.corp.endpoints');
  });

  it('`authctl profile add` refuses to redefine a system profile, naming the key', async () => {
    home.writeConfig({ storage: 'file' });
    const r = await runCli(['profile', 'add', 'corp', '--issuer', `${recorderUrl}/`, '--client-id', idp.clientId], home.env);
    expect(r.code, r.stderr).toBe(EXIT.usage);
    expect(r.stderr).toContain('profiles.corp.issuer: profile "corp" is defined by the system config');
    expect(recorded).toEqual([]);
  });
});
