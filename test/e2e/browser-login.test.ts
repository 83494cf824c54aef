/**
 * The user's side of a login in a real browser: headless Debian Chromium (driven by
 * playwright-core, no browser download) opens the verification URL the CLI printed,
 * signs in and consents on the IdP's pages, and `authctl login` returns success.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { loginViaCli, runCli } from '../fixtures/cli.js';
import { spawnAgent, type AgentProcess } from '../fixtures/agent-process.js';
import { installRecordingBrowser } from '../fixtures/browser-program.js';

let idp: TestIdp;
let home: TestHome;
let agent: AgentProcess;
let browser: BrowserContext;
const profileDir = mkdtempSync(join(tmpdir(), 'authctl-chromium-'));

beforeAll(async () => {
  idp = await startTestIdp();
  home = makeTestHome();
  home.writeConfig({ storage: 'file', profiles: { web: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read'] } } });
  agent = await spawnAgent(home.env, home.socket);
  // The flags keep Chromium off the (closed) network and out of first-run dialogs.
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await agent?.stop();
  await idp?.close();
  home?.cleanup();
  rmSync(profileDir, { recursive: true, force: true });
});

async function approveInBrowser(url: string): Promise<string> {
  const page = await browser.newPage();
  await page.goto(url);
  for (let step = 0; step < 6; step++) {
    if (await page.locator('[data-page="device-success"]').count()) return (await page.textContent('main')) ?? '';
    if (await page.locator('input[name="login"]').count()) {
      await page.fill('input[name="login"]', 'carol');
      await page.fill('input[name="password"]', 'test');
    }
    await page.locator('button[type="submit"]:not([name="abort"])').first().click();
    await page.waitForLoadState('domcontentloaded');
  }
  throw new Error(`the browser flow did not finish: ${await page.textContent('body')}`);
}

describe('login approved in headless Chromium', () => {
  it('completes the device flow through the verification_uri_complete link', async () => {
    let approval: Promise<string> | undefined;
    const login = await loginViaCli(['--profile', 'web'], home.env, async (_code, ev) => {
      approval = approveInBrowser(String(ev.verificationUriComplete));
    });
    expect(login.code, login.stderr).toBe(0);
    const successText = await approval!;
    expect(successText).toContain('Sign-in Success');
    expect(login.events.at(-1)).toMatchObject({ event: 'success', subject: 'carol' });
    const token = await runCli(['token', '--profile', 'web'], home.env);
    expect(token.code, token.stderr).toBe(0);
    expect(token.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
  });
});

describe('the browser flow in headless Chromium', () => {
  it('signs in on the IdP pages, is redirected to the agent on 127.0.0.1, and `authctl login` succeeds', async () => {
    const recorder = installRecordingBrowser(home.dir, 'chromium-launcher');
    const env = { ...home.env, AUTHCTL_BROWSER: recorder.path };
    const landing = recorder.nextUrl().then(async (url) => {
      const page = await browser.newPage();
      await page.goto(url);
      for (let step = 0; step < 6; step++) {
        if (await page.locator('[data-page="authctl-success"]').count()) return { url: page.url(), text: (await page.textContent('main')) ?? '' };
        if (await page.locator('input[name="login"]').count()) {
          await page.fill('input[name="login"]', 'erin');
          await page.fill('input[name="password"]', 'test');
        }
        await page.locator('button[type="submit"]:not([name="abort"])').first().click();
        await page.waitForLoadState('domcontentloaded');
      }
      throw new Error(`the browser flow did not reach the agent: ${page.url()}`);
    });
    const login = await runCli(['login', '--profile', 'web', '--flow', 'browser'], env);
    const reached = await landing;
    expect(login.code, login.stderr).toBe(0);
    // The IdP may remember the earlier sign-in (carol) in this browser profile: no login page then.
    expect(login.stderr).toMatch(/Logged in to profile "web" as (erin|carol)\./);
    expect(reached.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\?code=/);
    expect(reached.text).toContain('authctl has your sign-in');
    const token = await runCli(['token', '--profile', 'web'], home.env);
    expect(token.code, token.stderr).toBe(0);
  });
});
