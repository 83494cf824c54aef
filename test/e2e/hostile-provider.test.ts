/**
 * A hostile identity provider against the built agent and CLI (issue 11, items 7-10):
 * escape sequences in its error descriptions, user code and verification URI never reach
 * the terminal raw; a verification URI that is not https (or loopback http for a loopback
 * issuer) is printed, never handed to the browser; a discovery document naming a plain-http
 * token endpoint elsewhere is refused before anything is sent; and a refresh token loaded from
 * the store after a restart is masked like a fresh one when the provider echoes it back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { loginViaCli, runCli } from '../fixtures/cli.js';
import { spawnAgent, type AgentProcess } from '../fixtures/agent-process.js';
import { waitFor } from '../fixtures/agent-as-user.js';
import { SecretWitness } from '../fixtures/secret-witness.js';
import { EXIT } from '../../shared/errors.js';

const ESC = '\x1b';
const CSI_C1 = '\u009b';
/** Clears the screen, sets the window title, and hides a link: what a hostile text would do. */
const HOSTILE = `${ESC}[2J${ESC}]0;pwned${ESC}\\${CSI_C1}31m${ESC}]8;;https://evil.invalid${ESC}\\click${ESC}]8;;${ESC}\\`;

let idp: TestIdp;
let other: TestIdp;
let home: TestHome;
let agent: AgentProcess;
let browserLog: string;
let browserEnv: Record<string, string>;

function noControls(text: string): void {
  expect(text.includes(ESC), 'an ESC byte reached the terminal').toBe(false);
  expect(text.includes(CSI_C1), 'a C1 CSI reached the terminal').toBe(false);
}

function browserRuns(): string[] {
  return existsSync(browserLog) ? readFileSync(browserLog, 'utf8').split('\n').filter(Boolean) : [];
}

function storedRefreshToken(): string | undefined {
  return JSON.parse(readFileSync(join(home.dir, 'state', 'authctl', 'sessions.json'), 'utf8')).sessions.work?.refreshToken;
}

beforeAll(async () => {
  idp = await startTestIdp();
  other = await startTestIdp();
  home = makeTestHome();
  home.writeConfig({
    storage: 'file',
    defaultProfile: 'work',
    profiles: {
      work: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read'] },
      other: { issuer: other.issuer, clientId: other.clientId, scopes: ['openid', 'offline_access'] },
    },
  });
  // A BROWSER that only records what it was asked to open.
  browserLog = join(home.dir, 'browser-argv');
  const browser = join(home.dir, 'record-browser');
  writeFileSync(browser, `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a" >> '${browserLog}'; done\n`);
  chmodSync(browser, 0o755);
  browserEnv = { ...home.env, BROWSER: browser };
  agent = await spawnAgent(home.env, home.socket);
});

afterAll(async () => {
  await agent?.stop();
  await idp?.close();
  await other?.close();
  home?.cleanup();
});

describe('a hostile identity provider', () => {
  it('its escape sequences in the user code, the verification URI and an error description never reach the terminal raw', async () => {
    idp.tamper({
      request: (req) => {
        if (req.route === 'deviceAuthorization') {
          return {
            status: 200,
            body: {
              device_code: 'hostile-device-code',
              user_code: `AB${HOSTILE}CD`,
              verification_uri: `https://idp.invalid/device${HOSTILE}`,
              verification_uri_complete: `https://idp.invalid/device?code=${HOSTILE}`,
              expires_in: 600,
              interval: 1,
            },
          };
        }
        if (req.route === 'deviceCodePolls') return { status: 400, body: { error: 'invalid_request', error_description: `denied ${HOSTILE} by policy` } };
        return undefined;
      },
    });
    try {
      const r = await runCli(['login', '--profile', 'work', '--no-browser'], home.env);
      expect(r.code, r.stderr).toBe(EXIT.idp);
      noControls(r.stderr);
      noControls(r.stdout);
      // Shown, visibly: the person sees that something odd came from the provider.
      expect(r.stderr).toContain('First copy your one-time code: AB^[[2J');
      expect(r.stderr).toContain('denied ^[[2J^[]0;pwned');
      expect(r.stderr).toContain('^[[31m');
    } finally {
      idp.tamper(undefined);
    }
  });

  it('a verification URI that is not https is printed with a warning and never opened; a loopback one for a loopback issuer is', async () => {
    // The poll is refused at once, so each login ends right after the verification event.
    const deny = { request: (req: { route?: string }) => (req.route === 'deviceCodePolls' ? { status: 400, body: { error: 'access_denied' } } : undefined) };
    idp.tamper({
      ...deny,
      answer: (res, req) => {
        if (req.route !== 'deviceAuthorization') return;
        res.body.verification_uri = 'http://idp.invalid/device';
        res.body.verification_uri_complete = 'file:///etc/passwd';
      },
    });
    try {
      const hostile = await runCli(['login', '--profile', 'work', '--flow', 'device'], browserEnv);
      expect(hostile.code, hostile.stderr).toBe(EXIT.loginRequired);
      expect(hostile.stderr).toContain('Then open http://idp.invalid/device in a browser');
      expect(hostile.stderr).toMatch(/WARNING: not opening the provider's page in a browser: its scheme "file:" is not https/);
      expect(hostile.stderr).not.toContain('in your browser...');

      // Control: the provider's own loopback page (a loopback issuer) is opened, with the code in it.
      idp.tamper(deny);
      const normal = await runCli(['login', '--profile', 'work', '--flow', 'device'], browserEnv);
      expect(normal.code, normal.stderr).toBe(EXIT.loginRequired);
      expect(normal.stderr).toContain(`Opening ${new URL(idp.issuer).host} in your browser...`);
      await waitFor('the browser to be started', () => browserRuns().length > 0);
      const opened = browserRuns();
      expect(opened).toHaveLength(1);
      expect(opened[0]).toMatch(new RegExp(`^${idp.issuer.replace(/\./g, '\\.')}/device\\?user_code=`));
      expect(opened.some((a) => a.includes('idp.invalid') || a.startsWith('file:'))).toBe(false);
    } finally {
      idp.tamper(undefined);
    }
  });

  it("a loopback issuer's discovery naming a plain-http token endpoint elsewhere is refused before anything is sent", async () => {
    other.tamper({
      answer: (res, req) => {
        if (req.path === '/.well-known/openid-configuration') res.body.token_endpoint = 'http://idp.invalid/token';
      },
    });
    other.resetCounts();
    const r = await runCli(['login', '--profile', 'other', '--no-browser'], home.env);
    expect(r.code, r.stderr).toBe(EXIT.idp);
    expect(r.stderr).toContain('token_endpoint "http://idp.invalid/token" is not https');
    expect(r.stderr).toContain('nothing was sent there');
    // Refused at configuration: not even the device authorization was started.
    expect(other.counts()).toMatchObject({ deviceAuthorization: 0, deviceCodePolls: 0 });
    other.tamper(undefined);
  });

  it('a refresh token loaded from the store after a restart is masked when the provider echoes it back', async () => {
    const login = await loginViaCli(['--profile', 'work'], home.env, (code) => idp.approveDevice(code));
    expect(login.code, login.stderr).toBe(0);
    const rt = storedRefreshToken();
    expect(rt).toBeTruthy();
    const witness = new SecretWitness();
    witness.see('refresh token', rt);

    // A new agent knows the refresh token only from the store.
    await agent.stop();
    agent = await spawnAgent(home.env, home.socket);
    idp.tamper({
      request: (req) =>
        req.route === 'refresh'
          ? { status: 400, body: { error: 'invalid_request', error_description: `refresh token ${req.form?.get('refresh_token')} is not accepted ${HOSTILE}` } }
          : undefined,
    });
    try {
      const r = await runCli(['token', '--profile', 'work'], home.env);
      witness.watch('stderr of `authctl token`', () => r.stderr);
      witness.watch('the agent log', () => home.logs());
      witness.watch("the agent's stderr", () => agent.stderr());
      expect(r.code, 'the provider refused the refresh').toBe(EXIT.idp);
      // The provider did echo it, and the agent masked it.
      expect(r.stderr).toContain('refresh token [redacted] is not accepted');
      noControls(r.stderr);
      expect(witness.leaks()).toEqual([]);
    } finally {
      idp.tamper(undefined);
    }
  });
});
