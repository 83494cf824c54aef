/**
 * Remote hosts through the laptop's agent, with a real OpenSSH server on loopback and a
 * second local user as the remote account: `authctl ssh` forwards the agent's forwarding
 * socket, the remote authctl gets tokens from it and stores nothing, the forwarding policy
 * refuses what a remote host may not do (a `forwarding: false` profile, logout, OTP
 * enrolment), a privileged token needs an OTP answered on the remote side every time, a
 * login typed remotely runs in the local agent, every answer is audited with the
 * destination, and `--print-config` works with plain `ssh -F`.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawn, execFile } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { CLI, loginViaCli, runCli, type CliResult } from '../fixtures/cli.js';
import { spawnAgent, type AgentProcess } from '../fixtures/agent-process.js';
import { startSshd, type SshServer } from '../fixtures/sshd.js';
import { auditEvents, rawRequestAs } from '../fixtures/agent-as-user.js';
import type { StatusResponse } from '../../shared/api.js';
import { enrolTotpOnTerminal, runOnTerminal } from '../fixtures/terminal.js';
import { TotpCodes } from '../fixtures/oathtool.js';

let idp: TestIdp;
let home: TestHome;
let agent: AgentProcess;
let sshd: SshServer;
let codes: TotpCodes;

const JWT = /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/;

beforeAll(async () => {
  idp = await startTestIdp();
  sshd = await startSshd();
  home = makeTestHome();
  const profile = { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read', 'admin:all'] };
  home.writeConfig({
    storage: 'file',
    defaultProfile: 'work',
    profiles: {
      work: profile,
      fresh: { ...profile, scopes: ['openid', 'offline_access', 'api:read'] },
      clicked: { ...profile, scopes: ['openid', 'offline_access', 'api:read'] },
      laptop: { ...profile, forwarding: false, registries: ['laptop-registry.example.invalid'], match: [{ host: 'laptop-git.example.invalid' }] },
      p: { ...profile, privileged: { scopes: ['admin:all'], cacheSeconds: 600 } },
    },
  });
  agent = await spawnAgent(home.env, home.socket);
  for (const name of ['work', 'laptop', 'p']) {
    const login = await loginViaCli(['--profile', name], home.env, (code) => idp.approveDevice(code));
    if (login.code !== 0) throw new Error(`local login of ${name} failed: ${login.stderr}`);
  }
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await sshd?.close();
  await idp?.close();
  home?.cleanup();
});

/** `authctl ssh -F config ALIAS COMMAND...`, run locally as the test user. */
function overSsh(command: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(['ssh', '-F', sshd.clientConfig, sshd.alias, ...command], { ...home.env, ...env }, { timeoutMs: 60_000 });
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return lstatSync(path).isDirectory() ? filesUnder(path, `${prefix}${name}/`) : [`${prefix}${name}`];
  });
}

/** Regular files of the remote user in /tmp (where the forwarded socket lives). */
function remoteTmpFiles(): string[] {
  return readdirSync('/tmp')
    .map((n) => join('/tmp', n))
    .filter((p) => {
      const st = lstatSync(p, { throwIfNoEntry: false });
      return st !== undefined && st.uid === sshd.user.uid && st.isFile();
    });
}

async function verifies(token: string): Promise<string | undefined> {
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(idp.jwksUri)), { issuer: idp.issuer, audience: idp.resource });
  return payload.sub;
}

describe('authctl ssh: remote hosts use the local agent', () => {
  it('prints a token on the remote host that verifies at the IdP, and the remote account keeps no token', async () => {
    const r = await overSsh(['authctl', 'token', '--profile', 'work']);
    expect(r.code, `${r.stderr}\n${sshd.log()}`).toBe(0);
    const token = r.stdout.trim();
    expect(token).toMatch(JWT);
    expect(await verifies(token)).toBe('alice');
    // Nothing was written in the remote account: only the key sshd reads is there.
    expect(filesUnder(sshd.user.home)).toEqual(['.ssh/authorized_keys']);
    for (const f of remoteTmpFiles()) expect(readFileSync(f, 'utf8')).not.toContain(token);
  });

  it('passes the remote command through the remote shell and ssh\'s exit code back', async () => {
    const r = await overSsh(['test "$AUTHCTL_SOCK" != "" && echo "it\'s $AUTHCTL_SOCK"; exit 7']);
    expect(r.code, r.stderr).toBe(7);
    expect(r.stdout).toMatch(/^it's \/tmp\/authctl-[0-9a-f]{24}\.sock\n$/);
    // sshd leaves a forwarded socket behind; the wrapper removes it when the command ends.
    expect(existsSync(r.stdout.slice("it's ".length).trim())).toBe(false);
  });

  it('says in status that the remote host uses a forwarded agent', async () => {
    const r = await overSsh(['authctl', 'status']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`forwarded: this host uses the agent of the machine that ran \`authctl ssh ${sshd.alias}\``);
    expect(r.stdout).not.toContain('forwarding socket:');
    const doctor = await overSsh(['authctl', 'doctor']);
    expect(doctor.stdout + doctor.stderr).toMatch(/socket directory.*forwarded by `authctl ssh`/);
  });

  it('refuses a profile whose config says "forwarding": false, which still works locally', async () => {
    const r = await overSsh(['authctl', 'token', '--profile', 'laptop']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('profile "laptop" is not available to remote hosts');
    const local = await runCli(['token', '--profile', 'laptop'], home.env);
    expect(local.code, local.stderr).toBe(0);
  });

  it('refuses logout and OTP enrolment from the remote host, and the session stays', async () => {
    const logout = await overSsh(['authctl', 'logout', '--profile', 'work']);
    expect(logout.code).toBe(2);
    expect(logout.stderr).toContain(`logging out is not allowed from the remote host ${sshd.alias}`);
    const remove = await overSsh(['authctl', 'otp', 'remove']);
    expect(remove.code).toBe(2);
    expect(remove.stderr).toContain('removing a one-time password method is not allowed from the remote host');
    const enroll = await overSsh(['authctl', 'otp', 'enroll', '--totp']);
    expect(enroll.code).toBe(2);
    expect(enroll.stderr).toContain('enrolling a one-time password method is not allowed from the remote host');
    const privilegedLogin = await overSsh(['authctl', 'login', '--profile', 'p', '--privileged', '--no-browser']);
    expect(privilegedLogin.code).toBe(2);
    expect(privilegedLogin.stderr).toContain('the privileged sign-in is not allowed from the remote host');
    const local = await runCli(['token', '--profile', 'work'], home.env);
    expect(local.code, local.stderr).toBe(0);
  });

  it('gives an interactive login shell on a terminal, with the agent forwarded', async () => {
    const t = runOnTerminal(['ssh', '-F', sshd.clientConfig, sshd.alias], home.env);
    await t.waitFor(/\$ $/m);
    t.typeLine(`echo "sock=$AUTHCTL_SOCK"; ${sshd.authctl} token --profile work | cut -c1-4; exit 5`);
    await t.waitFor(/sock=\/tmp\/authctl-[0-9a-f]{24}\.sock\s+eyJh/);
    expect(await t.exit).toBe(5);
  });

  it('asks for an OTP for every privileged request over the forward: none to answer exits 4, an answer on the remote side (askpass, terminal) works each time', async () => {
    const secret = await enrolTotpOnTerminal(home.env, async (s) => {
      codes = new TotpCodes(s);
      return codes.fresh();
    });
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const none = await overSsh(['authctl', 'token', '--privileged', '--profile', 'p']);
    expect(none.code).toBe(4);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('no terminal to ask on');

    // The remote side answers through its own AUTHCTL_ASKPASS, as a person would type it there.
    const codeFile = join(sshd.user.home, 'code');
    const askpass = join(sshd.user.home, 'askpass');
    writeFileSync(askpass, `#!/bin/sh\ncat ${codeFile}\n`, { mode: 0o700 });
    chownSync(askpass, sshd.user.uid, sshd.user.gid);
    const answered = async () => {
      writeFileSync(codeFile, `${await codes.fresh()}\n`, { mode: 0o600 });
      chownSync(codeFile, sshd.user.uid, sshd.user.gid);
      return overSsh([`AUTHCTL_ASKPASS=${askpass}`, 'authctl', 'token', '--privileged', '--profile', 'p']);
    };
    const first = await answered();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim()).toMatch(JWT);
    // cacheSeconds is 600, but nothing approved over the forward is reused: the next request is asked again.
    const again = await overSsh(['authctl', 'token', '--privileged', '--profile', 'p']);
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('no terminal to ask on');
    const second = await answered();
    expect(second.code, second.stderr).toBe(0);

    // Typed on the remote terminal, where the request came from (ssh -t gives the command one).
    const t = runOnTerminal(['ssh', '-t', '-F', sshd.clientConfig, sshd.alias, 'authctl', 'token', '--privileged', '--profile', 'p', '|', 'cut', '-c1-4'], home.env);
    await t.waitFor(/One-time password \(/);
    t.typeLine(await codes.fresh());
    await t.waitFor(/^eyJh/m);
    expect(await t.exit).toBe(0);
  }, 120_000);

  type LoginLine = { event: string; flow?: string; url?: string; redirectUri?: string; userCode?: string; profile?: string };

  /** `authctl ssh … authctl login ARGS --json`, answering its events from this machine as they come. */
  async function remoteLogin(args: string[], answer: (ev: LoginLine) => Promise<unknown> | undefined) {
    const remote = spawn(process.execPath, [CLI, 'ssh', '-F', sshd.clientConfig, sshd.alias, 'authctl', 'login', ...args, '--json'], {
      env: home.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const events: LoginLine[] = [];
    const answers: Array<Promise<unknown> | undefined> = [];
    remote.stdout.on('data', (d) => {
      const before = stdout;
      stdout += d;
      for (const line of stdout.slice(before.lastIndexOf('\n') + 1).split('\n').slice(0, -1)) {
        const ev = JSON.parse(line) as LoginLine;
        events.push(ev);
        answers.push(answer(ev));
      }
    });
    remote.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => remote.on('close', resolve));
    await Promise.all(answers);
    return { code, stderr, events };
  }

  /** The session is the local agent's: a local token works without another login, and the remote account holds nothing. */
  async function expectSessionHereOnly(profile: string) {
    const local = await runCli(['token', '--profile', profile], home.env);
    expect(local.code, local.stderr).toBe(0);
    expect(filesUnder(sshd.user.home).filter((f) => !['askpass', 'code'].includes(f))).toEqual(['.ssh/authorized_keys']);
  }

  it('runs `authctl login` typed on the remote host in the local agent (device flow)', async () => {
    const r = await remoteLogin(['--profile', 'fresh', '--flow', 'device'], (ev) => (ev.event === 'verification' ? idp.approveDevice(ev.userCode!) : undefined));
    expect(r.code, r.stderr).toBe(0);
    expect(r.events.at(-1)).toMatchObject({ event: 'success', profile: 'fresh' });
    await expectSessionHereOnly('fresh');
  }, 90_000);

  it('runs `authctl login` typed on the remote host through the browser flow of the local agent', async () => {
    // No --flow: the remote shell has no browser (an SSH session), but the agent is on this
    // machine, so the URL printed remotely is the one to click here, and its loopback redirect
    // lands on this machine's agent. The IdP's real pages are driven from here.
    const r = await remoteLogin(['--profile', 'clicked'], (ev) => (ev.event === 'authorize' ? idp.approveAuthorization(ev.url!) : undefined));
    expect(r.code, r.stderr).toBe(0);
    expect(r.events.find((e) => e.event === 'flow')).toMatchObject({ flow: 'browser' });
    expect(r.events.map((e) => e.event)).not.toContain('verification');
    expect(new URL(r.events.find((e) => e.event === 'authorize')!.redirectUri!).hostname).toBe('127.0.0.1');
    expect(r.events.at(-1)).toMatchObject({ event: 'success', profile: 'clicked' });
    await expectSessionHereOnly('clicked');
  }, 90_000);

  it('refuses a nested `authctl ssh` on the remote host, which has no agent of its own to forward', async () => {
    const r = await overSsh(['authctl', 'ssh', 'elsewhere.invalid', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`this shell already uses a forwarded agent (from \`authctl ssh ${sshd.alias}\`)`);
  });

  it('applies the policy to any process on the forwarding socket, audited with an unknown destination', async () => {
    const status = await agent.client.call<StatusResponse>('GET', '/v1/status');
    expect(status.forwardingSocket).toBe(home.socket.replace(/agent\.sock$/, 'agent-forward.sock'));
    const raw = await rawRequestAs(undefined, status.forwardingSocket!, 'POST /v1/logout HTTP/1.1\r\nHost: authctl\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}');
    expect(raw.received).toMatch(/^HTTP\/1.1 403/);
    expect(raw.received).toContain('"error":"forwarding_refused"');
    expect(raw.received).toContain('logging out is not allowed from a remote host');
    // Audit lines are written off the request path, a moment after the answer (daemon/audit-queue.ts).
    await vi.waitFor(() => {
      const audited = auditEvents(home.logs()).filter((e) => e.event === 'forwarded' && e.peerPid === raw.pid);
      expect(audited).toEqual([expect.objectContaining({ destination: 'unknown', route: 'POST /v1/logout', status: 403 })]);
    }, { timeout: 5000, interval: 50 });
  });

  it("judges a docker `registry` or git `gitRequest` request by the profile it resolves to, not the default one", async () => {
    const status = await agent.client.call<StatusResponse>('GET', '/v1/status');
    for (const body of [{ registry: 'https://laptop-registry.example.invalid/v2/' }, { gitRequest: { protocol: 'https', host: 'laptop-git.example.invalid' } }]) {
      const text = JSON.stringify(body);
      const raw = await rawRequestAs(undefined, status.forwardingSocket!, `POST /v1/token HTTP/1.1\r\nHost: authctl\r\nContent-Type: application/json\r\nContent-Length: ${text.length}\r\nConnection: close\r\n\r\n${text}`);
      expect(raw.received, text).toMatch(/^HTTP\/1.1 403/);
      expect(raw.received, text).toContain('profile \\"laptop\\" is not available to remote hosts');
    }
  });

  it('audits every forwarded answer as remote, with the ssh destination', () => {
    const events = auditEvents(home.logs()).filter((e) => e.event === 'forwarded' && e.destination !== 'unknown');
    expect(events.length).toBeGreaterThan(5);
    for (const e of events) expect(e).toMatchObject({ remote: true, destination: sshd.alias });
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ route: 'POST /v1/token', profile: 'work', status: 200 }),
        expect.objectContaining({ route: 'POST /v1/token', profile: 'laptop', status: 403 }),
        expect.objectContaining({ route: 'POST /v1/logout', status: 403 }),
        expect.objectContaining({ route: 'POST /v1/login', profile: 'fresh' }),
      ]),
    );
  });

  it('--print-config prints ~/.ssh/config lines that work with plain ssh -F', async () => {
    const printed = await runCli(['ssh', '--print-config', sshd.alias], home.env);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toContain(`Host ${sshd.alias}\n  RemoteForward /tmp/authctl-%r.sock `);
    const config = join(home.dir, 'ssh_config');
    writeFileSync(config, printed.stdout + sshd.hostLines);
    const token = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      // The remote shell sets AUTHCTL_SOCK as the printed comment says (here in the command, not a startup file).
      execFile('ssh', ['-F', config, sshd.alias, 'AUTHCTL_SOCK=/tmp/authctl-$USER.sock authctl token --profile work'], { env: home.env, timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(token.code, token.stderr).toBe(0);
    expect(await verifies(token.stdout.trim())).toBe('alice');
  });
});
