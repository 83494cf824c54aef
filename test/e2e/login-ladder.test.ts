/**
 * `authctl login` through the built CLI on the login ladder: the browser flow with a real
 * BROWSER program, then `authctl token`; the device flow when asked or in an SSH session
 * without a display (naming the IdP host and the anti-phishing line first); a URL that is
 * neither https nor loopback is never opened; an unfinished browser flow falls back to
 * device flow on auto and says how to use it on --flow browser.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { CLI, runCli, type CliResult } from '../fixtures/cli.js';
import { spawnAgent, type AgentProcess } from '../fixtures/agent-process.js';
import { installRecordingBrowser, type RecordingBrowser } from '../fixtures/browser-program.js';
import { runOnTerminal } from '../fixtures/terminal.js';

let idp: TestIdp;
const SCOPES = ['openid', 'offline_access', 'api:read'];

interface Setup {
  home: TestHome;
  agent: AgentProcess;
  browser: RecordingBrowser;
  /** The CLI's environment: a BROWSER to open, no display, no SSH. */
  env: Record<string, string>;
}

async function setup(agentEnv: Record<string, string> = {}): Promise<Setup> {
  const home = makeTestHome();
  home.writeConfig({ storage: 'file', defaultProfile: 'work', profiles: { work: { issuer: idp.issuer, clientId: idp.clientId, scopes: SCOPES } } });
  const agent = await spawnAgent({ ...home.env, ...agentEnv }, home.socket);
  const browser = installRecordingBrowser(home.dir);
  return { home, agent, browser, env: { ...home.env, BROWSER: browser.path } };
}

async function teardown(s: Setup | undefined): Promise<void> {
  await s?.agent.stop();
  s?.home.cleanup();
}

/** Runs `authctl login ARGS`; `onOutput` sees the growing stdout + stderr and may act (approve a code). */
function login(args: string[], env: Record<string, string>, onOutput?: (text: string) => void): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'login', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      onOutput?.(stdout + stderr);
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      onOutput?.(stdout + stderr);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Approves the first one-time code printed (stderr) or reported (--json), once. */
function approveCode(): (text: string) => void {
  let done = false;
  return (text) => {
    const m = /one-time code: (\S+)/.exec(text) ?? /"userCode":"([^"]+)"/.exec(text);
    if (!m || done) return;
    done = true;
    void idp.approveDevice(m[1]!);
  };
}

let main: Setup;
let impatient: Setup;

beforeAll(async () => {
  idp = await startTestIdp();
  main = await setup();
  impatient = await setup({ AUTHCTL_BROWSER_FLOW_TIMEOUT_SECONDS: '1' });
});

afterAll(async () => {
  await teardown(main);
  await teardown(impatient);
  await idp?.close();
});

describe('authctl login: the browser flow', () => {
  it('opens the authorization URL with BROWSER, prints it too, and a token works afterwards', async () => {
    const approval = main.browser.nextUrl().then((url) => idp.approveAuthorization(url, { login: 'dave' }));
    const res = await login(['--json'], main.env);
    const landing = await approval;
    expect(res.code, res.stderr).toBe(0);
    const events = res.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events[0]).toMatchObject({ event: 'flow', flow: 'browser', reason: expect.stringContaining('browser can be opened') });
    const authorize = events.find((e) => e.event === 'authorize');
    expect(main.browser.opened()).toEqual([authorize.url]);
    expect(landing.html).toContain('data-page="authctl-success"');
    expect(events.at(-1)).toMatchObject({ event: 'success', subject: 'dave' });
    const token = await runCli(['token'], main.env);
    expect(token.code, token.stderr).toBe(0);
    expect(token.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
  });

  it('prints the URL for people as well as opening it', async () => {
    const approval = main.browser.nextUrl().then((url) => idp.approveAuthorization(url));
    const res = await login([], main.env);
    const landing = await approval;
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain(`Opening your browser to sign in at ${new URL(idp.issuer).host}`);
    expect(res.stderr).toContain(`  ${idp.issuer}/auth?`);
    expect(landing.status).toBe(200);
    expect(res.stderr).toMatch(/Logged in to profile "work" as alice\./);
  });
});

describe('authctl login: device flow', () => {
  it('--flow device names the IdP host and client before the code, then opens the prefilled page at once when not interactive', async () => {
    const res = await login(['--flow', 'device'], main.env, approveCode());
    expect(res.code, res.stderr).toBe(0);
    const host = new URL(idp.issuer).host;
    const who = res.stderr.indexOf(`Signing in to ${host} for the application ${idp.clientId}.`);
    const warn = res.stderr.indexOf('Only enter this code if you started this login just now.');
    const code = res.stderr.indexOf('First copy your one-time code:');
    expect(who).toBeGreaterThanOrEqual(0);
    expect(warn).toBeGreaterThan(who);
    expect(code).toBeGreaterThan(warn);
    const userCode = /one-time code: (\S+)/.exec(res.stderr)![1]!;
    expect(res.stderr).toContain(`check that the browser shows ${userCode}`);
    expect(main.browser.opened().at(-1)).toMatch(/\/device\?user_code=/);
  });

  it('in an SSH session without a display: device flow, nothing opened, one line says why', async () => {
    const before = main.browser.opened().length;
    const res = await login(['--json'], { ...main.env, SSH_CONNECTION: '10.0.0.1 50000 10.0.0.2 22' }, approveCode());
    expect(res.code, res.stderr).toBe(0);
    const sshEnv = { ...main.env, SSH_CONNECTION: '10.0.0.1 50000 10.0.0.2 22' };
    const human = await login([], sshEnv, approveCode());
    expect(human.code, human.stderr).toBe(0);
    expect(human.stderr).toContain('No browser will be opened (SSH session without a display).');
    expect(main.browser.opened().length).toBe(before);
    const first = JSON.parse(res.stdout.split('\n')[0]!);
    expect(first).toMatchObject({ event: 'flow', flow: 'device', reason: expect.stringContaining('SSH session without a display') });
  }, 60_000);

  it('never opens a verification URL that is neither https nor loopback', async () => {
    idp.tamper({
      answer: (res, req) => {
        if (req.path === '/device/auth' && res.status === 200) {
          res.body.verification_uri = 'http://phish.invalid/device';
          res.body.verification_uri_complete = 'http://phish.invalid/device?code=x';
        }
      },
    });
    try {
      const before = main.browser.opened().length;
      let code: string | undefined;
      const res = await login(['--flow', 'device'], main.env, (text) => {
        const m = /one-time code: (\S+)/.exec(text);
        if (m && !code) {
          code = m[1]!;
          void idp.approveDevice(code);
        }
      });
      expect(res.code, res.stderr).toBe(0);
      expect(res.stderr).toContain("not opening the provider's page in a browser");
      expect(main.browser.opened().length).toBe(before);
    } finally {
      idp.tamper(undefined);
    }
  });
});

describe('authctl login on a terminal', () => {
  it('asks before starting over a logged-in profile, then shows a QR code and opens the page only after Enter', async () => {
    const host = new URL(idp.issuer).host;
    const before = main.browser.opened().length;
    const term = runOnTerminal(['login', '--flow', 'device'], main.env);
    await term.waitFor(/Profile "work" is already logged in as \w+\. Log in again\? \[y\/N\]/);
    term.typeLine('y');
    const [, userCode] = await term.waitFor(/one-time code: (\S+)/);
    await term.waitFor(new RegExp(`Press Enter to open ${host.replace(/\./g, '\\.')} in your browser`));
    expect(term.output()).toContain('Or scan this with your phone:');
    expect(term.output()).toMatch(/[▀▄█]/);
    expect(main.browser.opened().length).toBe(before);
    term.typeLine('');
    const url = await main.browser.nextUrl();
    expect(url).toContain(`user_code=${userCode}`);
    await term.waitFor(new RegExp(`check that the browser shows ${userCode}`));
    await idp.approveDevice(userCode!);
    expect(await term.exit, term.output()).toBe(0);
  }, 60_000);

  it('keeps the session when the answer is no, and --no-qr draws no QR code', async () => {
    idp.resetCounts();
    const keep = runOnTerminal(['login'], main.env);
    await keep.waitFor(/Log in again\? \[y\/N\]/);
    keep.typeLine('n');
    expect(await keep.exit, keep.output()).toBe(0);
    expect(keep.output()).toContain('Keeping the current session.');
    expect(idp.counts().deviceAuthorization).toBe(0);

    const plain = runOnTerminal(['login', '--flow', 'device', '--no-qr', '--web'], main.env);
    await plain.waitFor(/Log in again/);
    plain.typeLine('yes');
    const [, userCode] = await plain.waitFor(/one-time code: (\S+)/);
    await plain.waitFor(/check that the browser shows/);
    await idp.approveDevice(userCode!);
    expect(await plain.exit, plain.output()).toBe(0);
    expect(plain.output()).not.toContain('Or scan this');
    expect(plain.output()).not.toContain('Press Enter');
  }, 60_000);
});

describe('authctl login: what to do next', () => {
  it('a bad --flow is a usage error naming the choices', async () => {
    const res = await runCli(['login', '--flow', 'web'], main.env);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--flow "web" is not one of auto, browser, device');
  });

  it('when the agent closes the stream, names the agent\'s log', async () => {
    const s = await setup();
    try {
      let killed = false;
      const res = await login(['--flow', 'device'], s.env, (text) => {
        if (!killed && /one-time code:/.test(text)) {
          killed = true;
          void s.agent.stop('SIGKILL');
        }
      });
      expect(res.code).toBe(6);
      expect(res.stderr).toContain(`see its log in ${join(s.home.dir, 'state', 'authctl', 'logs')}`);
    } finally {
      await teardown(s);
    }
  });
});

describe('authctl login: when the browser flow cannot finish', () => {
  it('on auto, says why in one line and continues with device flow when nothing comes back in time', async () => {
    const res = await login([], impatient.env, approveCode());
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('The browser login did not finish (no answer from the browser within 1 s): continuing with a one-time code instead.');
    expect(impatient.browser.opened().length).toBeGreaterThanOrEqual(1);
  });

  it('on auto, falls back when the provider redirects back with an error about the client', async () => {
    idp.knobs.authorizationError = 'unauthorized_client';
    try {
      const approval = main.browser.nextUrl().then((url) => idp.approveAuthorization(url));
      const res = await login([], main.env, approveCode());
      expect((await approval).status).toBe(400);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stderr).toMatch(/The browser login did not finish \(the provider refused the browser login: unauthorized_client.*\): continuing with a one-time code instead\./);
    } finally {
      delete idp.knobs.authorizationError;
    }
  });

  it('on --flow browser, ends with how to run --flow device', async () => {
    const res = await login(['--flow', 'browser'], impatient.env);
    expect(res.code).toBe(3);
    expect(res.stderr).toContain('no answer from the browser within 1 s');
    expect(res.stderr).toContain('--flow device');
  });
});
