/**
 * The git credential helper with the real git: a bare repository served by
 * `git http-backend` behind a server that accepts only the IdP's JWT (checked against its
 * JWKS and audience). Clone and push with credential.helper=authctl and prompts disabled;
 * a revoked token leads to `erase` and a refreshed retry; a nearly expired token is never
 * handed to git; with no session git fails cleanly. The Bearer (authtype) path runs with a
 * git >= 2.46 when one is available (AUTHCTL_TEST_GIT, /opt/git-2.47/bin/git, or PATH).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusResponse, TokenResponse } from '../../shared/api.js';
import { runCli } from '../fixtures/cli.js';
import { runProcess, startAdapterWorld, type AdapterWorld } from '../fixtures/adapters.js';
import { startGitServer, type GitServer } from '../fixtures/git-server.js';
import { loginThroughAgent } from '../fixtures/login.js';

const TTL = 8;
const MIN_VALID = 4;
let world: AdapterWorld;
let server: GitServer;
let repo: string;
let gitEnv: Record<string, string>;
let work: string;

function git(args: string[], opts: { cwd?: string; bin?: string; input?: string } = {}) {
  return runProcess(opts.bin ?? 'git', args, { env: gitEnv, cwd: opts.cwd ?? work, input: opts.input });
}

function accepted() {
  return server.checks().filter((c) => c.ok);
}

/** Requests refused with a credential (git's first, credential-less request of each run is refused too). */
function refusedWithCredential() {
  return server.checks().filter((c) => !c.ok && c.reason !== 'no credentials');
}

async function cachedExpiry(): Promise<number> {
  const status = await world.client.call<StatusResponse>('GET', '/v1/status');
  return Math.max(...status.profiles.find((p) => p.name === 'work')!.cachedTokens.map((t) => t.expiresAt));
}

/** A git that speaks the authtype capability (2.46+), if this machine has one. */
function newerGit(): string | undefined {
  for (const bin of [process.env.AUTHCTL_TEST_GIT, '/opt/git-2.47/bin/git', 'git']) {
    if (!bin || (bin.includes('/') && !existsSync(bin))) continue;
    try {
      const [maj, min] = execFileSync(bin, ['--version'], { encoding: 'utf8' }).match(/(\d+)\.(\d+)/)!.slice(1).map(Number);
      if (maj! > 2 || (maj === 2 && min! >= 46)) return bin;
    } catch {
      continue;
    }
  }
  return undefined;
}

beforeAll(async () => {
  world = await startAdapterWorld(
    (idp) => ({
      storage: 'file',
      profiles: {
        work: {
          issuer: idp.issuer,
          clientId: idp.clientId,
          scopes: ['openid', 'offline_access', 'api:read'],
          minValidSeconds: MIN_VALID,
          gitAuthType: 'bearer',
          match: [{ protocol: 'http', host: '127.0.0.1' }],
        },
      },
    }),
    { accessTokenTTL: TTL },
  );
  server = await startGitServer({ issuer: world.idp.issuer, jwksUri: world.idp.jwksUri, audience: world.idp.resource });
  repo = server.createRepo('project');
  work = mkdtempSync(join(world.home.dir, 'work-'));
  gitEnv = {
    ...world.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Alice',
    GIT_AUTHOR_EMAIL: 'alice@authctl.test',
    GIT_COMMITTER_NAME: 'Alice',
    GIT_COMMITTER_EMAIL: 'alice@authctl.test',
  };
});

afterAll(async () => {
  await server?.close();
  await world?.close();
});

describe('git credential helper with the real git', () => {
  it('with no session, git fails cleanly without hanging and the helper says how to log in', async () => {
    const r = await git(['-c', 'credential.helper=authctl', 'clone', repo, 'nosession']);
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(128);
    expect(r.stderr).toContain('authctl login --profile work');
    expect(r.stderr).toMatch(/terminal prompts disabled|Authentication failed/);
    expect(accepted()).toHaveLength(0);
  });

  it('git-credential get with empty input says what git should send (exit 2), never undefined://undefined', async () => {
    for (const input of ['', '\n', 'protocol=https\n\n']) {
      const r = await runCli(['git-credential', 'get'], world.env, { input });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('"protocol=https" and "host=git.example.com" lines');
      expect(r.stderr).not.toContain('undefined');
    }
  });

  it('clones with credential.helper=authctl (the profile found by its match rule), a JWT as Basic password', async () => {
    await loginThroughAgent(world.client, world.idp, 'work');
    const r = await git(['-c', 'credential.helper=authctl', 'clone', repo, 'clone1']);
    expect(r.stderr).not.toContain('authctl:');
    expect(r.code).toBe(0);
    const ok = accepted();
    expect(ok.length).toBeGreaterThan(0);
    // git 2.39 does not offer authtype, so the bearer profile still answers with a Basic password.
    expect(ok[0]).toMatchObject({ scheme: 'basic', username: 'oauth2', subject: 'alice' });
  });

  it('setup-git writes the reset line and the helper for the host, and git push uses it', async () => {
    const setup = await runCli(['setup-git', '--host', server.url, '--profile', 'work'], world.env);
    expect(setup.stderr).toContain('profile "work"');
    // It names the file it changed (git config --global: $HOME/.gitconfig here).
    expect(setup.stderr).toContain(`wrote credential.${server.url}.helper in ${join(world.home.dir, '.gitconfig')}`);
    expect(setup.code).toBe(0);
    const configured = execFileSync('git', ['config', '--global', '--get-all', `credential.${server.url}.helper`], { env: gitEnv, encoding: 'utf8' });
    const helpers = configured.split('\n');
    expect(helpers[0]).toBe('');
    // The command npm links (bin/authctl: the native client after an install), not the Node entry.
    expect(helpers[1]).toMatch(/^!\S*\/bin\/authctl git-credential --profile work$/);
    // Running it twice leaves one reset line and one helper.
    await runCli(['setup-git', '--host', server.url, '--profile', 'work'], world.env);
    const again = execFileSync('git', ['config', '--global', '--get-all', `credential.${server.url}.helper`], { env: gitEnv, encoding: 'utf8' });
    expect(again).toBe(configured);
    expect(helpers).toHaveLength(3); // '', the helper, and the final newline

    const cwd = join(work, 'clone1');
    writeFileSync(join(cwd, 'change.txt'), 'pushed through authctl\n');
    await git(['add', 'change.txt'], { cwd });
    await git(['commit', '-m', 'change'], { cwd });
    const before = accepted().length;
    const push = await git(['push', 'origin', 'main'], { cwd });
    expect(push.stderr).not.toContain('authctl:');
    expect(push.code).toBe(0);
    expect(accepted().length).toBeGreaterThan(before);
  });

  it('a revoked token: git calls erase, the helper drops it, and the retry gets a refreshed token', async () => {
    const cwd = join(work, 'clone1');
    // Revoke the token the agent holds now, freshly issued: with 8 s tokens and a 4 s
    // minimum, the one git used last may already have been replaced on a loaded machine.
    await world.client.call('POST', '/v1/invalidate', { profile: 'work' });
    const current = (await world.client.call<TokenResponse>('POST', '/v1/token', { profile: 'work' })).accessToken;
    server.auth.revoke(current);
    world.idp.resetCounts();
    const failed = await git(['fetch', 'origin'], { cwd });
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toMatch(/Authentication failed/);
    expect(server.checks().at(-1)).toMatchObject({ ok: false, reason: 'revoked' });
    // erase dropped the agent's cached token: nothing is cached for the profile now.
    const status = await world.client.call<StatusResponse>('GET', '/v1/status');
    expect(status.profiles.find((p) => p.name === 'work')!.cachedTokens).toHaveLength(0);

    const retry = await git(['fetch', 'origin'], { cwd });
    expect(retry.code).toBe(0);
    expect(world.idp.counts().refresh).toBe(1);
    const fresh = accepted().at(-1)!.token!;
    expect(fresh).not.toBe(current);
  });

  it('never hands git a token with less than the minimum validity left (git < 2.40 ignores expiry)', async () => {
    const cwd = join(work, 'clone1');
    const used = accepted().at(-1)!.token!;
    const expiresAt = await cachedExpiry();
    // Wait until the cached token has less than MIN_VALID seconds left, but is not yet expired.
    // expiresAt is whole seconds, rounded down: the real expiry can be up to 1 s later.
    const wait = (expiresAt - MIN_VALID + 1.5) * 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    world.idp.resetCounts();
    const rejectedBefore = refusedWithCredential().length;
    const r = await git(['fetch', 'origin'], { cwd });
    expect(r.code).toBe(0);
    expect(world.idp.counts().refresh).toBe(1);
    expect(accepted().at(-1)!.token).not.toBe(used);
    // No 401 along the way: git never held the nearly expired token.
    expect(refusedWithCredential().length).toBe(rejectedBefore);
  });

  it('answers nothing for a host no rule matches, so the token never leaves for another server', async () => {
    const r = await git(['-c', 'credential.helper=authctl', 'credential', 'fill'], { input: 'protocol=https\nhost=elsewhere.example\n\n' });
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain('password=');
    expect(r.stderr).toMatch(/terminal prompts disabled/);
  });

  it('speaks the protocol exactly: capability, authtype answer, silent store and unknown operations', async () => {
    const helper = (args: string[], input = '') => runProcess('git-credential-authctl', args, { env: gitEnv, input });
    const cap = await helper(['capability']);
    expect(cap.stdout).toBe('version 0\ncapability authtype\n');
    for (const op of ['store', 'frobnicate']) {
      const r = await helper([op], `protocol=http\nhost=${server.host}\nusername=oauth2\npassword=x\n\n`);
      expect([r.code, r.stdout, r.stderr]).toEqual([0, '', '']);
    }
    // What git 2.46+ sends: capabilities first, then the remote.
    const r = await helper(['get'], `capability[]=authtype\ncapability[]=state\nprotocol=http\nhost=${server.host}\nwwwauth[]=Basic realm="x"\n\n`);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('capability[]=authtype');
    expect(lines.slice(1, 3)).toEqual(['authtype=Bearer', expect.stringMatching(/^credential=ey/)]);
    expect(lines).toContain('ephemeral=1');
    const expiry = Number(lines.find((l) => l.startsWith('password_expiry_utc='))!.split('=')[1]);
    expect(expiry).toBeGreaterThan(Date.now() / 1000);
    expect(r.stdout).not.toContain('password=');
    // The credential is the IdP's JWT: the server accepts it as a Bearer token.
    const token = lines.find((l) => l.startsWith('credential='))!.slice('credential='.length);
    const res = await fetch(`${repo}/info/refs?service=git-upload-pack`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
  });

  // git learnt authtype/Bearer in 2.46; Debian 12 ships 2.39. The issue asks for this path
  // "where a newer git is available" (AUTHCTL_TEST_GIT, /opt/git-2.47, or PATH); the
  // protocol-level Bearer test above always runs.
  const newGit = newerGit();
  it.skipIf(!newGit)(`git >= 2.46 (${newGit ?? 'none found'}) sends the token as Authorization: Bearer`, async () => {
    const before = server.checks().length;
    const r = await git(['-c', 'credential.helper=authctl', 'clone', repo, 'clone-bearer'], { bin: newGit });
    expect(r.stderr).not.toContain('authctl:');
    expect(r.code).toBe(0);
    const checks = server.checks().slice(before).filter((c) => c.ok);
    expect(checks.length).toBeGreaterThan(0);
    expect(checks.every((c) => c.scheme === 'bearer' && c.subject === 'alice')).toBe(true);
  });
});

describe('git credential helper on a terminal (tmux)', () => {
  const quote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
  let tmuxSocket: string;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-S', tmuxSocket, '-f', '/dev/null', ...args], { encoding: 'utf8', env: { ...process.env, TERM: 'xterm-256color' } });
  const screen = (name: string) => tmux('capture-pane', '-p', '-J', '-t', `git:${name}`);

  async function until<T>(what: string, probe: () => T | undefined, name: string): Promise<T> {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      const v = probe();
      if (v !== undefined) return v;
    }
    throw new Error(`timed out waiting for ${what}; the screen shows:\n${screen(name)}`);
  }

  /** Runs a shell command in a new tmux window (a real terminal); returns a wait for its exit code. */
  function onTerminal(name: string, command: string, env: Record<string, string>) {
    const exitFile = join(work, `${name}.exit`);
    const script = join(work, `${name}.sh`);
    writeFileSync(
      script,
      [...Object.entries(env).map(([k, v]) => `export ${k}=${quote(v)}`), `cd ${quote(work)} && ${command}; echo $? > ${quote(exitFile)}; sleep 600`, ''].join('\n'),
    );
    tmux('new-window', '-d', '-n', name, `sh ${quote(script)}`);
    return () => until(`${name} to finish`, () => (existsSync(exitFile) && readFileSync(exitFile, 'utf8').trim() ? Number(readFileSync(exitFile, 'utf8')) : undefined), name);
  }

  beforeAll(async () => {
    await world.client.call('POST', '/v1/logout', { profile: 'work' });
    tmuxSocket = join(world.home.dir, 'tmux.sock');
    tmux('new-session', '-d', '-s', 'git', '-x', '200', '-y', '50', 'sleep 600');
  });

  afterAll(() => {
    if (tmuxSocket) tmux('kill-server');
  });

  it('GIT_TERMINAL_PROMPT=0 or credential.interactive=never: no login starts even with a terminal', async () => {
    const { GIT_TERMINAL_PROMPT: _, ...prompting } = gitEnv;
    const noPrompt = onTerminal('noprompt', `git -c credential.helper=authctl clone ${quote(repo)} tty-noprompt`, { ...prompting, GIT_TERMINAL_PROMPT: '0' });
    // git < 2.46 would prompt for a password itself despite credential.interactive, so the helper
    // runs under git alone here (git passes its -c settings on to the helper).
    const never = onTerminal('never', `printf 'protocol=http\\nhost=${server.host}\\n\\n' | git -c credential.interactive=never credential-authctl get`, prompting);
    expect(await noPrompt()).toBe(128);
    expect(await never()).toBe(0);
    for (const name of ['noprompt', 'never']) {
      expect(screen(name)).not.toContain('one-time code');
      expect(screen(name)).toContain('authctl login --profile work');
    }
  });

  it('with prompts allowed, a missing session starts the device login on the terminal, then git goes on', async () => {
    const { GIT_TERMINAL_PROMPT: _, ...prompting } = gitEnv;
    const done = onTerminal('login', `git -c credential.helper=authctl clone ${quote(repo)} tty-login`, prompting);
    const code = await until('the one-time code', () => /one-time code: (\S+)/.exec(screen('login'))?.[1], 'login');
    expect(screen('login')).toContain('starting a login');
    await world.idp.approveDevice(code);
    expect(await done()).toBe(0);
    expect(existsSync(join(work, 'tty-login', 'README'))).toBe(true);
  });
});
