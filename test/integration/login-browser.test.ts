/**
 * The browser flow (authorization code + PKCE, RFC 8252) in the agent, against the real test
 * IdP's login and consent pages: the callback lands on the agent's loopback listener, forged
 * callbacks are refused while the real one still succeeds, RFC 9207 `iss` is checked, and a
 * browser flow that cannot finish falls back to device flow in the same stream on auto.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer, type AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentClient } from '../../client/agent-client.js';
import { startAgent, type RunningAgent } from '../../daemon/agent.js';
import type { LoginEvent, TokenResponse } from '../../shared/api.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { loginWithBrowser } from '../fixtures/login.js';
import { openLoginStream } from '../../client/login-stream.js';

let idp: TestIdp;
let home: TestHome;
let agent: RunningAgent;
let client: AgentClient;
/** A second agent whose browser flow gives up at once, for the fallback on timeout. */
let impatient: { home: TestHome; agent: RunningAgent; client: AgentClient };

const SCOPES = ['openid', 'offline_access', 'api:read'];

async function startOne(opts: { browserFlowTimeoutMs?: number } = {}) {
  const h = makeTestHome();
  h.writeConfig({
    storage: 'file',
    profiles: {
      work: { issuer: idp.issuer, clientId: idp.clientId, scopes: SCOPES },
      forced: { issuer: idp.issuer, clientId: idp.clientId, scopes: SCOPES, flow: 'browser' },
    },
  });
  const a = await startAgent({ pathEnv: h.pathEnv, log: 'file', ...opts });
  return { home: h, agent: a, client: new AgentClient({ socketPath: a.socketPath, autostart: false }) };
}

beforeAll(async () => {
  idp = await startTestIdp();
  const main = await startOne();
  ({ home, agent, client } = main);
  impatient = await startOne({ browserFlowTimeoutMs: 300 });
});

afterAll(async () => {
  await agent?.close();
  await impatient?.agent.close();
  await idp?.close();
  home?.cleanup();
  impatient?.home.cleanup();
});

function portRefused(url: string): Promise<boolean> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const s = connect(Number(port), '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

function last(events: LoginEvent[]): LoginEvent | undefined {
  return events.at(-1);
}

describe('browser flow in the agent', () => {
  it('logs in through the IdP pages, serves a page without the code, then the listener is gone and tokens work', async () => {
    let redirectUri = '';
    let landing = { status: 0, html: '' };
    const secrets: string[] = [];
    const events = await loginWithBrowser(client, idp, { profile: 'work' }, async (ev) => {
      redirectUri = ev.redirectUri;
      const url = new URL(ev.url);
      // RFC 7636 S256 and RFC 8252 §7.3: the verifier is not in the URL, the redirect is loopback on a random port.
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');
      expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
      expect(url.searchParams.has('code_verifier')).toBe(false);
      expect(url.searchParams.get('nonce')).toBeTruthy();
      expect(ev.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
      const page = await idp.approveAuthorization(ev.url, { login: 'bob' });
      landing = { status: page.status, html: page.html };
      secrets.push(page.url.searchParams.get('code')!, url.searchParams.get('state')!);
      expect(page.url.searchParams.get('code')).toBeTruthy();
      expect(page.html).not.toContain(page.url.searchParams.get('code'));
    });
    expect(events[0]).toMatchObject({ event: 'flow', flow: 'browser' });
    expect(landing.status).toBe(200);
    expect(landing.html).toContain('data-page="authctl-success"');
    expect(last(events)).toMatchObject({ event: 'success', profile: 'work', subject: 'bob', refreshToken: true });
    expect(await portRefused(redirectUri)).toBe(true);
    const token = await client.call<TokenResponse>('POST', '/v1/token', { profile: 'work' });
    expect(token.accessToken).toMatch(/^eyJ/);
    const stored = JSON.parse(readFileSync(join(home.dir, 'state', 'authctl', 'sessions.json'), 'utf8')).sessions.work;
    expect(stored.refreshToken).toBeTruthy();
    // Neither the code nor the state reaches the agent's log or the page.
    expect(secrets.every(Boolean)).toBe(true);
    const logs = home.logs();
    expect(logs).toContain('logged in');
    for (const secret of secrets) {
      expect(logs).not.toContain(secret);
      expect(landing.html).not.toContain(secret);
    }
  });

  it('answers a callback with a forged state 400 and keeps waiting for the real one', async () => {
    const events = await loginWithBrowser(client, idp, { profile: 'work' }, async (ev) => {
      const forged = new URL(ev.redirectUri);
      forged.search = new URLSearchParams({ code: 'forged-code', state: 'not-the-state', iss: idp.issuer }).toString();
      expect((await fetch(forged)).status).toBe(400);
      const noState = new URL(ev.redirectUri);
      noState.search = 'code=forged-code';
      expect((await fetch(noState)).status).toBe(400);
      expect((await fetch(new URL('/other', ev.redirectUri))).status).toBe(400);
      const page = await idp.approveAuthorization(ev.url, { login: 'carol' });
      expect(page.status).toBe(200);
    });
    expect(last(events)).toMatchObject({ event: 'success', subject: 'carol' });
  });

  it('refuses an answer whose iss is another issuer (RFC 9207 mix-up)', async () => {
    idp.knobs.authorizationIss = 'wrong';
    try {
      const events = await loginWithBrowser(client, idp, { profile: 'work' }, async (ev) => {
        const page = await idp.approveAuthorization(ev.url);
        expect(page.status).toBe(400);
      });
      expect(last(events)).toMatchObject({ event: 'error', error: 'idp_error' });
      expect((last(events) as { message: string }).message).toContain('RFC 9207');
    } finally {
      delete idp.knobs.authorizationIss;
    }
  });

  it('accepts an answer without iss from a provider that does not advertise RFC 9207', async () => {
    idp.knobs.authorizationIss = 'unadvertised';
    const other = await startOne();
    try {
      const events = await loginWithBrowser(other.client, idp, { profile: 'work' }, async (ev) => {
        const page = await idp.approveAuthorization(ev.url);
        expect(page.url.searchParams.has('iss')).toBe(false);
      });
      expect(last(events)).toMatchObject({ event: 'success' });
    } finally {
      delete idp.knobs.authorizationIss;
      await other.agent.close();
      other.home.cleanup();
    }
  });
});

describe('a profile with a fixed redirectUri (providers that register one port)', () => {
  it('listens on that port and path, sends exactly that redirect_uri, and logs in', async () => {
    const port = await freePort();
    const fixed = `http://localhost:${port}/oauth/done`;
    const other = makeTestHome();
    other.writeConfig({ storage: 'file', profiles: { fixed: { issuer: idp.issuer, clientId: idp.clientId, scopes: SCOPES, redirectUri: fixed } } });
    // The test IdP registers http://localhost/oauth/done (any port, oidc-provider's loopback rule).
    const a = await startAgent({ pathEnv: other.pathEnv, log: 'file' });
    try {
      const c = new AgentClient({ socketPath: a.socketPath, autostart: false });
      const events = await loginWithBrowser(c, idp, { profile: 'fixed' }, async (ev) => {
        expect(ev.redirectUri).toBe(fixed);
        expect(new URL(ev.url).searchParams.get('redirect_uri')).toBe(fixed);
        const page = await idp.approveAuthorization(ev.url);
        expect(page.url.href.startsWith(`${fixed}?`)).toBe(true);
      });
      expect(last(events)).toMatchObject({ event: 'success' });
    } finally {
      await a.close();
      other.cleanup();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe('choosing and falling back', () => {
  it('uses device flow when asked, and when the CLI cannot open a browser (saying why)', async () => {
    const asked = await loginWithBrowser(client, idp, { profile: 'work', flow: 'device' }, async () => {
      throw new Error('no browser flow expected');
    });
    expect(asked[0]).toMatchObject({ event: 'flow', flow: 'device', reason: '--flow asks for device flow' });
    expect(last(asked)).toMatchObject({ event: 'success' });
    const headless = await loginWithBrowser(client, idp, { profile: 'work', canOpenBrowser: false, noBrowserReason: 'SSH session' }, async () => {
      throw new Error('no browser flow expected');
    });
    expect(headless[0]).toMatchObject({ event: 'flow', flow: 'device' });
    expect((headless[0] as { reason: string }).reason).toContain('SSH session');
    expect(headless.find((e) => e.event === 'verification')).toMatchObject({ clientId: idp.clientId });
  });

  it('falls back to device flow when the provider redirects back with an error about the client', async () => {
    idp.knobs.authorizationError = 'unauthorized_client';
    try {
      const events = await loginWithBrowser(client, idp, { profile: 'work' }, async (ev) => {
        const page = await idp.approveAuthorization(ev.url);
        expect(page.status).toBe(400);
      });
      const kinds = events.map((e) => e.event);
      expect(kinds).toEqual(['flow', 'authorize', 'fallback', 'verification', 'waiting', 'success']);
      expect((events[2] as { reason: string }).reason).toContain('unauthorized_client');
    } finally {
      delete idp.knobs.authorizationError;
    }
  });

  it('on explicit --flow browser, an unfinished browser flow ends with how to use device flow instead', async () => {
    idp.knobs.authorizationError = 'unauthorized_client';
    try {
      const events = await loginWithBrowser(client, idp, { profile: 'work', flow: 'browser' }, async (ev) => {
        await idp.approveAuthorization(ev.url);
      });
      expect(events.some((e) => e.event === 'verification')).toBe(false);
      expect(last(events)).toMatchObject({ event: 'error', error: 'login_required' });
      expect((last(events) as { message: string }).message).toContain('--flow device');
    } finally {
      delete idp.knobs.authorizationError;
    }
  });

  it('falls back to device flow when no answer comes back in time, and closes the listener when the code wins', async () => {
    let redirectUri = '';
    const events = await loginWithBrowser(impatient.client, idp, { profile: 'work' }, async (ev) => void (redirectUri = ev.redirectUri));
    expect(events.map((e) => e.event)).toEqual(['flow', 'authorize', 'fallback', 'verification', 'waiting', 'success']);
    expect((events[2] as { reason: string }).reason).toContain('no answer from the browser');
    expect(await portRefused(redirectUri)).toBe(true);
  });

  it('after the fallback, a slow sign-in can still finish in the browser: it wins and the device flow stops', async () => {
    const stream = await openLoginStream(impatient.client, { profile: 'work', canOpenBrowser: true });
    const events: LoginEvent[] = [];
    let url = '';
    for await (const ev of stream.events) {
      events.push(ev);
      if (ev.event === 'authorize') url = ev.url;
      // The person was slow (MFA...): the code is shown, but they finish in the browser.
      if (ev.event === 'verification') await idp.approveAuthorization(url, { login: 'slowpoke' });
    }
    expect(events.map((e) => e.event)).toEqual(['flow', 'authorize', 'fallback', 'verification', 'waiting', 'success']);
    expect(last(events)).toMatchObject({ event: 'success', subject: 'slowpoke' });
    idp.resetCounts();
    await new Promise((r) => setTimeout(r, 1500)); // more than the 1 s poll interval
    expect(idp.counts().deviceCodePolls).toBe(0);
  });
});
