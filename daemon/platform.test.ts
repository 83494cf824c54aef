import { chmodSync, closeSync, fstatSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loginRuntimeDir, socketPath, type PathEnv } from '../shared/paths.js';
import { chooseListenTarget, isNamedPipe, serviceLogDestination } from './platform.js';

const PID = 4242;

describe('chooseListenTarget (systemd socket activation)', () => {
  it('serves on fd 3 when LISTEN_PID is this process, and removes the LISTEN_* variables', () => {
    const env: Record<string, string | undefined> = { LISTEN_PID: String(PID), LISTEN_FDS: '1', LISTEN_FDNAMES: 'authctl.socket', HOME: '/h' };
    const { target, note } = chooseListenTarget('/run/user/1/authctl/agent.sock', env, PID);
    expect(target).toEqual({ kind: 'inherited', fd: 3, path: '/run/user/1/authctl/agent.sock' });
    expect(note).toBeUndefined();
    expect(env).toEqual({ HOME: '/h' });
  });

  it('ignores (and still removes) variables meant for another process', () => {
    const env: Record<string, string | undefined> = { LISTEN_PID: '1', LISTEN_FDS: '1' };
    const { target, note } = chooseListenTarget('/r/agent.sock', env, PID);
    expect(target).toEqual({ kind: 'socket', path: '/r/agent.sock' });
    expect(note).toContain('LISTEN_PID=1 is not this process');
    expect(env).toEqual({});
  });

  it('ignores a hand-over that passes no socket, and serves on the first of several', () => {
    expect(chooseListenTarget('/r/a.sock', { LISTEN_PID: String(PID), LISTEN_FDS: '0' }, PID).target.kind).toBe('socket');
    expect(chooseListenTarget('/r/a.sock', { LISTEN_PID: String(PID), LISTEN_FDS: 'x' }, PID).note).toContain('no socket was passed');
    const several = chooseListenTarget('/r/a.sock', { LISTEN_PID: String(PID), LISTEN_FDS: '2' }, PID);
    expect(several.target).toMatchObject({ kind: 'inherited', fd: 3 });
    expect(several.note).toContain('first (fd 3) only');
  });

  it('binds its own socket when nothing was passed', () => {
    expect(chooseListenTarget('/r/a.sock', {}, PID)).toEqual({ target: { kind: 'socket', path: '/r/a.sock' }, note: undefined });
  });
});

describe('Windows named pipe', () => {
  const win: PathEnv = { platform: 'win32', env: {}, home: 'C:\\Users\\ada', username: 'ada' };

  it('is the default endpoint on win32, and the agent treats it as a pipe (no directory, no unlink)', () => {
    const path = socketPath(win);
    expect(path).toBe('\\\\.\\pipe\\authctl-ada');
    expect(isNamedPipe(path)).toBe(true);
    expect(chooseListenTarget(path, {}, PID).target).toEqual({ kind: 'pipe', path });
  });

  it('AUTHCTL_SOCK still wins, and Unix paths are never pipes', () => {
    expect(socketPath({ ...win, env: { AUTHCTL_SOCK: '\\\\.\\pipe\\mine' } })).toBe('\\\\.\\pipe\\mine');
    expect(isNamedPipe('/run/user/1/authctl/agent.sock')).toBe(false);
    expect(isNamedPipe('C:\\pipe\\x')).toBe(false);
  });
});

describe('serviceLogDestination', () => {
  const dir = mkdtempSync(join(tmpdir(), 'authctl-platform-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is the journal only when JOURNAL_STREAM names the stream our stderr really is', () => {
    const fd = openSync(join(dir, 'stream'), 'w');
    try {
      const st = fstatSync(fd, { bigint: true });
      expect(serviceLogDestination({ JOURNAL_STREAM: `${st.dev}:${st.ino}` }, fd)).toBe('journal');
      // Inherited from a parent whose stderr was the journal: not ours.
      expect(serviceLogDestination({ JOURNAL_STREAM: `${st.dev}:${st.ino + 1n}` }, fd)).toBeUndefined();
      expect(serviceLogDestination({ JOURNAL_STREAM: `${st.dev}:${st.ino + 1n}`, INVOCATION_ID: 'abc' }, fd)).toBe('stderr');
      expect(serviceLogDestination({}, fd)).toBeUndefined();
    } finally {
      closeSync(fd);
    }
  });
});

describe('loginRuntimeDir (shells without XDG_RUNTIME_DIR find the service socket)', () => {
  const base = mkdtempSync(join(tmpdir(), 'authctl-run-user-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  const uid = process.getuid!();

  it('is /run/user/<uid> when it is a private directory of ours, and only without XDG_RUNTIME_DIR or AUTHCTL_SOCK', () => {
    const dir = join(base, String(uid));
    expect(loginRuntimeDir({}, uid, 'linux', base)).toBeUndefined();
    mkdirSync(dir, { mode: 0o700 });
    expect(loginRuntimeDir({}, uid, 'linux', base)).toBe(dir);
    expect(loginRuntimeDir({ XDG_RUNTIME_DIR: '/elsewhere' }, uid, 'linux', base)).toBeUndefined();
    expect(loginRuntimeDir({ AUTHCTL_SOCK: '/x/agent.sock' }, uid, 'linux', base)).toBeUndefined();
    expect(loginRuntimeDir({}, uid, 'darwin', base)).toBeUndefined();
    chmodSync(dir, 0o755);
    expect(loginRuntimeDir({}, uid, 'linux', base)).toBeUndefined();
  });
});
