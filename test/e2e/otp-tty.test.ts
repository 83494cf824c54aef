/**
 * The one-time password prompt on a real terminal: the built CLI runs inside tmux (a real
 * pseudo-terminal), the test reads the screen with capture-pane and types with send-keys,
 * codes come from the real `oathtool`. Enrolment shows the otpauth:// URI (and the QR
 * code), `authctl token --privileged > out.txt` prompts on the terminal with echo off,
 * showing the profile and scopes, while stdout gets the token alone; Ctrl-C at the prompt
 * exits 4 and leaves the terminal as it was. A privileged token kept for `cacheSeconds` is
 * handed out again only in the terminal session whose OTP approved it (sudo's tty tickets):
 * another tmux window, or a process without a controlling terminal, is asked again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { spawnAgent, type AgentProcess } from '../fixtures/agent-process.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { CLI } from '../fixtures/cli.js';
import { startTestIdp, type TestIdp } from '../fixtures/idp.js';
import { loginThroughAgent } from '../fixtures/login.js';
import { TotpCodes } from '../fixtures/oathtool.js';

let idp: TestIdp;
let home: TestHome;
let agent: AgentProcess;
let tmuxSocket: string;
let codes: TotpCodes;
let qrInstalled: boolean;

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-S', tmuxSocket, ...args], { encoding: 'utf8' });

/** Runs `authctl ARGS` in a new tmux window; its exit code lands in `<name>.exit`. */
function inTerminal(name: string, args: string, after = ''): void {
  const line = `sh ${quote(join(home.dir, 'authctl.sh'))} ${args}; echo $? > ${quote(join(home.dir, `${name}.exit`))}${after}; sleep 600`;
  tmux('new-window', '-d', '-n', name, line);
}

function screen(name: string): string {
  return tmux('capture-pane', '-p', '-J', '-t', `authctl:${name}`);
}

async function until<T>(what: string, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const prompts = (name: string) => screen(name).split('One-time password (').length - 1;
const fileIn = (name: string) => readFileSync(join(home.dir, name), 'utf8');
/** `; authctl ARGS > NAME; echo $? > NAME.exit`: a further command in the same terminal session. */
const andThen = (name: string, args: string) => `; sh ${quote(join(home.dir, 'authctl.sh'))} ${args} > ${quote(join(home.dir, name))}; echo $? > ${quote(join(home.dir, `${name}.exit`))}`;

const waitForScreen = (name: string, text: string) => until(`"${text}" on ${name}`, () => (screen(name).includes(text) ? screen(name) : undefined));
const exitCode = (name: string) =>
  until(`${name} to exit`, () => {
    const f = join(home.dir, `${name}.exit`);
    return existsSync(f) && readFileSync(f, 'utf8').trim() ? Number(readFileSync(f, 'utf8')) : undefined;
  });

beforeAll(async () => {
  idp = await startTestIdp({ accessTokenTTL: 300 });
  home = makeTestHome();
  const profile = { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'offline_access', 'api:read', 'admin:all'] };
  home.writeConfig({
    storage: 'file',
    profiles: {
      p: { ...profile, privileged: { scopes: ['admin:all'] } },
      c: { ...profile, privileged: { scopes: ['admin:all'], cacheSeconds: 600 } },
      short: { ...profile, privileged: { scopes: ['admin:all'], cacheSeconds: 3 } },
    },
  });
  agent = await spawnAgent(home.env, home.socket);
  for (const name of ['p', 'c', 'short']) await loginThroughAgent(agent.client, idp, name);
  // The CLI with the test home's environment, whatever the shell tmux starts.
  const exports = Object.entries(home.env).map(([k, v]) => `export ${k}=${quote(v)}`);
  writeFileSync(join(home.dir, 'authctl.sh'), [...exports, `exec ${quote(process.execPath)} ${quote(CLI)} "$@"`, ''].join('\n'));
  tmuxSocket = join(home.dir, 'tmux.sock');
  execFileSync('tmux', ['-S', tmuxSocket, '-f', '/dev/null', 'new-session', '-d', '-s', 'authctl', '-x', '220', '-y', '60', 'sleep 600'], {
    env: { ...process.env, TERM: 'xterm-256color' },
  });
  qrInstalled = await import(['qr', 'code'].join('')).then(
    () => true,
    () => false,
  );
});

afterAll(async () => {
  if (tmuxSocket) execFileSync('tmux', ['-S', tmuxSocket, 'kill-server'], { stdio: 'ignore' });
  await agent?.stop();
  await idp?.close();
  home?.cleanup();
});

describe('the OTP prompt on a real terminal (tmux)', () => {
  it('enrols TOTP: shows the URI and QR code, and activates with the first code typed', async () => {
    inTerminal('enroll', 'otp enroll --totp');
    const shown = await waitForScreen('enroll', 'to finish enrolling:');
    const uri = /Or add this URI: (otpauth:\/\/totp\/\S+)/.exec(shown)?.[1];
    const secret = /Or type in this secret: ([A-Z2-7]{32})/.exec(shown)?.[1];
    expect(uri).toContain(`secret=${secret}`);
    if (qrInstalled) expect(shown.split('\n').filter((l) => /[▀▄█]/.test(l)).length).toBeGreaterThan(15);
    else expect(shown).toContain('(No QR code: the qrcode package is not installed.)');
    codes = new TotpCodes(secret!);
    const code = await codes.fresh();
    tmux('send-keys', '-t', 'authctl:enroll', code, 'Enter');
    expect(await exitCode('enroll')).toBe(0);
    const after = screen('enroll');
    expect(after).toContain('Enrolled TOTP.');
    expect(after).not.toContain(code);
  });

  it('prompts on the terminal for `token --privileged > out.txt`: the screen shows what is approved, the file only the token', async () => {
    const out = join(home.dir, 'out.txt');
    inTerminal('token', `token --privileged --profile p > ${quote(out)}`);
    const prompt = await waitForScreen('token', 'One-time password (code from your authenticator app):');
    expect(prompt).toContain('approve: a token for profile "p"; scopes: admin:all');
    expect(prompt).toMatch(/requested by \S+ \(pid \d+\), started by \S+ \(pid \d+\)/);
    const code = await codes.fresh();
    tmux('send-keys', '-t', 'authctl:token', code, 'Enter');
    expect(await exitCode('token')).toBe(0);
    const lines = readFileSync(out, 'utf8').split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('');
    expect(String(decodeJwt(lines[0]!).scope).split(' ')).toContain('admin:all');
    // Echo was off: the code typed never appeared on the terminal.
    expect(screen('token')).not.toContain(code);
  });

  it('Ctrl-C at the prompt exits 4 and gives the terminal its echo back', async () => {
    const stty = join(home.dir, 'stty.txt');
    inTerminal('cancel', 'token --privileged --profile p', `; stty -a > ${quote(stty)}`);
    await waitForScreen('cancel', 'One-time password');
    tmux('send-keys', '-t', 'authctl:cancel', 'C-c');
    expect(await exitCode('cancel')).toBe(4);
    expect(screen('cancel')).toContain('cancelled at the one-time password prompt');
    const modes = await until('stty output', () => (existsSync(stty) && readFileSync(stty, 'utf8').includes('echo') ? readFileSync(stty, 'utf8') : undefined));
    expect(modes.split(/[\s;]+/)).toContain('echo');
    expect(modes.split(/[\s;]+/)).toContain('icanon');
  });

  it('reuses a cached privileged token only in the terminal session whose OTP approved it', async () => {
    const out = (name: string) => `token --privileged --profile c > ${quote(join(home.dir, name))}`;
    inTerminal('first', out('first.txt'), andThen('again', 'token --privileged --profile c'));
    await waitForScreen('first', 'One-time password (');
    tmux('send-keys', '-t', 'authctl:first', await codes.fresh(), 'Enter');
    expect(await exitCode('first')).toBe(0);
    // Another command in the same terminal session: served from the cache, no prompt.
    expect(await exitCode('again')).toBe(0);
    expect(fileIn('again')).toBe(fileIn('first.txt'));
    expect(prompts('first')).toBe(1);

    // Another terminal window (another session) is asked for an OTP again (answered with
    // Ctrl-C here: OTP codes are scarce, three per 30 s step).
    inTerminal('other', out('other.txt'));
    await waitForScreen('other', 'One-time password (');
    tmux('send-keys', '-t', 'authctl:other', 'C-c');
    expect([4, 130]).toContain(await exitCode('other')); // cancelled (130: Ctrl-C before echo went off)

    // A process without a controlling terminal is asked again too, and has nowhere to answer.
    const detached = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, 'token', '--privileged', '--profile', 'c'], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(detached.code).toBe(4);
    expect(detached.stderr).toMatch(/no terminal to ask on/);
  }, 90_000);

  it('asks again in the same terminal once cacheSeconds have passed', async () => {
    inTerminal('short', 'token --privileged --profile short > /dev/null', `; sleep 4${andThen('later', 'token --privileged --profile short')}`);
    await waitForScreen('short', 'One-time password (');
    tmux('send-keys', '-t', 'authctl:short', await codes.fresh(), 'Enter');
    expect(await exitCode('short')).toBe(0);
    await until('the second prompt', () => (prompts('short') === 2 ? true : undefined));
    tmux('send-keys', '-t', 'authctl:short', 'C-c');
    expect([4, 130]).toContain(await exitCode('later')); // cancelled (130: Ctrl-C before echo went off)
  }, 90_000);
});
