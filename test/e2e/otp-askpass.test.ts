/**
 * Privileged tokens through the built CLI with no terminal (each run in a new session via
 * setsid, so /dev/tty cannot be opened): fail closed with exit 4 and no askpass; with
 * AUTHCTL_ASKPASS the prompt (scopes, profile, requester) goes to the program and its
 * answer to the agent, stdout carries only the token, a second privileged token needs a
 * second OTP, wrong codes end in a lockout (exit 4), and `otp status|remove` work. The
 * agent is a real process on real time; the codes come from the real `oathtool`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import type { OtpStatusResponse } from '../../shared/api.js';
import { spawnAgent, type AgentProcess } from '../fixtures/agent-process.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { CLI, type CliResult } from '../fixtures/cli.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { loginThroughAgent } from '../fixtures/login.js';
import { TotpCodes } from '../fixtures/oathtool.js';
import { enrolTotpOnTerminal } from '../fixtures/terminal.js';

const JWT_LINE = /^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/;
let idp: TestIdp;
let home: TestHome;
let agent: AgentProcess;
let codes: TotpCodes;
let askpassDir: string;
let askpass: string;

/** The built CLI in a session of its own: no controlling terminal, as under cron or CI. */
function runWithoutTerminal(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...home.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** AUTHCTL_ASKPASS answers with the given codes, one per call, and keeps each prompt it got. */
function answers(...list: string[]): Record<string, string> {
  rmSync(join(askpassDir, 'count'), { force: true });
  writeFileSync(join(askpassDir, 'codes'), list.join('\n') + '\n');
  return { AUTHCTL_ASKPASS: askpass };
}

function askpassCalls(): string[] {
  const n = existsSync(join(askpassDir, 'count')) ? Number(readFileSync(join(askpassDir, 'count'), 'utf8')) : 0;
  return Array.from({ length: n }, (_, i) => readFileSync(join(askpassDir, `prompt-${i + 1}`), 'utf8'));
}

/** The first method is enrolled by a person at a terminal (a pty here); AUTHCTL_ASKPASS cannot. */
async function enrolTotp(): Promise<void> {
  await enrolTotpOnTerminal(home.env, (secret) => {
    codes = new TotpCodes(secret);
    return codes.fresh();
  });
}

beforeAll(async () => {
  idp = await startTestIdp({ accessTokenTTL: 300 });
  home = makeTestHome();
  home.writeConfig({
    storage: 'file',
    profiles: { p: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read', 'api:write', 'admin:all'], privileged: { scopes: ['admin:all'] } } },
  });
  askpassDir = join(home.dir, 'askpass');
  askpass = join(askpassDir, 'askpass.sh');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(askpassDir);
  writeFileSync(
    askpass,
    `#!/bin/sh\nd='${askpassDir}'\nn=$(cat "$d/count" 2>/dev/null || echo 0)\nn=$((n + 1))\necho "$n" > "$d/count"\nprintf '%s' "$1" > "$d/prompt-$n"\nsed -n "\${n}p" "$d/codes"\n`,
    { mode: 0o700 },
  );
  agent = await spawnAgent(home.env, home.socket);
  await loginThroughAgent(agent.client, idp, 'p');
  await enrolTotp();
});

afterAll(async () => {
  await agent?.stop();
  await idp?.close();
  home?.cleanup();
});

describe('privileged tokens without a terminal', () => {
  it('fails closed with exit 4 when there is neither a terminal nor AUTHCTL_ASKPASS', async () => {
    const r = await runWithoutTerminal(['token', '--privileged', '--profile', 'p']);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/no terminal to ask on and AUTHCTL_ASKPASS is not set/);
  });

  it('gives an ordinary token without asking, and never with the privileged scope', async () => {
    const r = await runWithoutTerminal(['token', '--profile', 'p'], answers());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(JWT_LINE);
    expect(String(decodeJwt(r.stdout.trim()).scope).split(' ')).not.toContain('admin:all');
    expect(askpassCalls()).toEqual([]);
  });

  it('asks AUTHCTL_ASKPASS, showing what is approved; stdout carries only the token', async () => {
    const r = await runWithoutTerminal(['token', '--privileged', '--profile', 'p'], answers(await codes.fresh()));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(JWT_LINE);
    expect(String(decodeJwt(r.stdout.trim()).scope)).toBe('admin:all');
    const [prompt] = askpassCalls();
    expect(prompt).toContain('a token for profile "p"; scopes: admin:all');
    expect(prompt).toMatch(/requested by \S+ \(pid \d+\), started by \S+ \(pid \d+\)/);
    expect(prompt).toContain('because the request asks for a privileged token');
    expect(prompt).toMatch(/One-time password \(code from your authenticator app\): $/);
  });

  it('needs a second OTP for a second privileged token, asking again after a spent code', async () => {
    const r = await runWithoutTerminal(['token', '--privileged', '--profile', 'p'], answers(codes.previous, await codes.fresh()));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(JWT_LINE);
    const prompts = askpassCalls();
    expect(prompts).toHaveLength(2);
    expect(prompts[1]).toMatch(/already used: wait for the next one \(2 attempts left\)/);
  });

  it('shows and removes methods with `authctl otp`, removal itself asking for an OTP', async () => {
    const status = await runWithoutTerminal(['otp', 'status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^storage: file\nWARNING: .*readable by anything running as you\ntotp: enrolled \d{4}-/);
    const removed = await runWithoutTerminal(['otp', 'remove', '--totp'], answers(await codes.fresh()));
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stderr).toContain('Removed: totp.');
    expect(askpassCalls()[0]).toContain('approve: removing the TOTP method');
    const none = await runWithoutTerminal(['token', '--privileged', '--profile', 'p'], answers());
    expect(none.code).toBe(4);
    expect(none.stderr).toContain('authctl otp enroll --totp');
    expect(askpassCalls()).toEqual([]);
  });

  it('cannot enrol a first method without a terminal: AUTHCTL_ASKPASS is never asked for its code', async () => {
    const r = await runWithoutTerminal(['otp', 'enroll', '--totp'], answers('123456'));
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/must be enrolled from a terminal/);
    expect(r.stdout).not.toMatch(/secret/);
    expect(askpassCalls()).toEqual([]);
    expect((await agent.client.call<OtpStatusResponse>('GET', '/v1/otp/status')).methods).toEqual([]);
  });

  it('locks out after three wrong codes: exit 4, saying when to try again', async () => {
    await enrolTotp();
    const r = await runWithoutTerminal(['token', '--privileged', '--profile', 'p'], answers(codes.wrong(), codes.wrong(), codes.wrong(), await codes.fresh()));
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/locked out, try again in 30 s/);
    expect(askpassCalls()).toHaveLength(3);
  });
});
