/**
 * `authctl exec` and `authctl env` as a shell and a supervisor see them: assignments that
 * survive `eval` whatever the value holds, the expiry alongside, the child's exit code and
 * signals passed through both ways, and the guard against nesting.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess, startAdapterWorld, type AdapterWorld } from '../fixtures/adapters.js';
import { loginThroughAgent } from '../fixtures/login.js';

const AWKWARD = `it's a "quoted" value with $HOME, \`id\`, $(id), \\ backslashes, spaces  and ; & | * ?`;
let world: AdapterWorld;

function sh(script: string, env: Record<string, string> = {}) {
  return runProcess('sh', ['-c', script], { env: { ...world.env, ...env } });
}

function authctl(args: string[], env: Record<string, string> = {}) {
  return runProcess('authctl', args, { env: { ...world.env, ...env } });
}

/** Starts `authctl exec` with a child that says "ready", then sends `signal` to authctl alone. */
function signalDuringExec(childScript: string, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a hung run can be killed whole (the child holds stdout open).
    const proc = spawn('authctl', ['exec', '--', 'sh', '-c', childScript], { env: world.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    const timer = setTimeout(() => process.kill(-proc.pid!, 'SIGKILL'), 20_000);
    proc.stdout.on('data', (d) => {
      stdout += d;
      if (stdout.includes('ready') && !proc.killed) proc.kill(signal);
    });
    proc.on('error', reject);
    proc.on('close', (code, sig) => {
      clearTimeout(timer);
      resolve({ code, signal: sig, stdout });
    });
  });
}

beforeAll(async () => {
  world = await startAdapterWorld((idp) => ({
    storage: 'file',
    profiles: {
      work: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read'] },
      gh: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read'], envName: 'GH_TOKEN' },
    },
    defaultProfile: 'work',
  }));
  await loginThroughAgent(world.client, world.idp, 'work');
  await loginThroughAgent(world.client, world.idp, 'gh');
});

afterAll(async () => {
  await world?.close();
});

describe('authctl env', () => {
  it('sh: eval gives back exactly the value, however awkward (a pre-issued AUTHCTL_TOKEN here)', async () => {
    const r = await sh(`eval "$(authctl env)" && printf '%s' "$AUTHCTL_ACCESS_TOKEN"`, { AUTHCTL_TOKEN: AWKWARD });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(AWKWARD);
    const bash = await runProcess('bash', ['-c', `eval "$(authctl env --format sh)"; printf '%s' "$AUTHCTL_ACCESS_TOKEN"`], { env: { ...world.env, AUTHCTL_TOKEN: AWKWARD } });
    expect(bash.stdout).toBe(AWKWARD);
  });

  it("sh: the agent's token with its expiry, exported to children", async () => {
    const r = await sh(`eval "$(authctl env)" && sh -c 'printf "%s %s" "$AUTHCTL_ACCESS_TOKEN" "$AUTHCTL_ACCESS_TOKEN_EXPIRES_AT"'`);
    expect(r.code).toBe(0);
    const [token, expiry] = r.stdout.split(' ');
    expect(token).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(Number(expiry)).toBeGreaterThan(Date.now() / 1000);
  });

  it("json, the profile's envName, --env, and refusals with exit 2", async () => {
    const json = JSON.parse((await authctl(['env', '--format', 'json', '--profile', 'gh'])).stdout);
    expect(Object.keys(json)).toEqual(['GH_TOKEN', 'AUTHCTL_ACCESS_TOKEN_EXPIRES_AT']);
    const named = await sh(`eval "$(authctl env --env MY_TOKEN)" && printf '%s' "$MY_TOKEN"`);
    expect(named.stdout).toMatch(/^ey/);
    const fish = await authctl(['env', '--format', 'fish'], { AUTHCTL_TOKEN: "a'b\\c" });
    expect(fish.stdout).toBe("set -gx AUTHCTL_ACCESS_TOKEN 'a\\'b\\\\c'\n");
    for (const args of [['env', '--env', 'AUTHCTL_TOKEN'], ['env', '--env', '1BAD'], ['env', '--format', 'csh']]) {
      const r = await authctl(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^authctl: /);
    }
  });
});

describe('authctl exec', () => {
  it("runs the command with the token and exits with the child's code", async () => {
    const r = await authctl(['exec', '--', 'sh', '-c', 'printf "%s|%s" "$AUTHCTL_ACCESS_TOKEN" "$AUTHCTL_EXEC"; exit 7']);
    expect(r.code).toBe(7);
    const [token, marker] = r.stdout.split('|');
    expect(token).toMatch(/^ey/);
    expect(marker).toBe('work');
    const gh = await authctl(['exec', '--profile', 'gh', '--', 'sh', '-c', 'printf "%s" "$GH_TOKEN"']);
    expect(gh.stdout).toMatch(/^ey/);
  });

  it('ends with the signal that ended the child', async () => {
    const r = await authctl(['exec', '--', 'sh', '-c', 'kill -TERM $$']);
    expect(r.signal).toBe('SIGTERM');
    expect(r.code).toBeNull();
  });

  it('forwards SIGTERM and SIGINT sent to authctl to the child, then exits with its code', async () => {
    for (const [signal, name] of [['SIGTERM', 'TERM'], ['SIGINT', 'INT']] as const) {
      // `wait` (not a foreground sleep) so the trap runs at once: a shell waiting on a
      // foreground child may defer or drop SIGINT when the child itself was not interrupted.
      const r = await signalDuringExec(`trap 'echo got-${name}; exit 42' ${name}; echo ready; while :; do sleep 0.05 & wait $!; done`, signal);
      expect(r.stdout).toContain(`got-${name}`);
      expect(r.code).toBe(42);
    }
  });

  it('refuses to nest unless --nested; a missing command is 127', async () => {
    const nested = await authctl(['exec', '--', 'authctl', 'exec', '--', 'true']);
    expect(nested.code).toBe(2);
    expect(nested.stderr).toContain('already inside `authctl exec` for profile "work"');
    expect(nested.stderr).toContain('--nested');
    const allowed = await authctl(['exec', '--', 'authctl', 'exec', '--nested', '--', 'true']);
    expect(allowed.code).toBe(0);
    const missing = await authctl(['exec', '--', 'no-such-command-authctl']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('command not found: no-such-command-authctl');
    const none = await authctl(['exec']);
    expect(none.code).toBe(2);
  });
});
