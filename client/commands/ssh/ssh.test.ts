import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planSsh } from './plan.js';
import { parseSshCommandArgs } from './ssh.js';
import { sshConfigLines } from './print-config.js';

const LOCAL = '/run/user/1000/authctl/agent-forward.sock';
const REMOTE = '/tmp/authctl-0123456789abcdef01234567.sock';

/** What the remote side's sh runs for this remote command string (with a login shell of sh). */
function runRemotely(remoteCommand: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'authctl-ssh-plan-'));
  try {
    return execFileSync('/bin/sh', ['-c', remoteCommand], { env: { PATH: '/usr/bin:/bin', SHELL: '/bin/sh' }, cwd: dir, encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('authctl ssh: the ssh command line', () => {
  it('adds the unix-socket forward before the user\'s options and keeps their destination and command', () => {
    const plan = planSsh(['-p', '2222', 'me@host', 'echo', 'hi'], LOCAL, false, REMOTE);
    expect(plan.destination).toBe('me@host');
    expect(plan.args.slice(0, 6)).toEqual(['-o', 'StreamLocalBindUnlink=yes', '-o', 'ExitOnForwardFailure=yes', '-R', `${REMOTE}:${LOCAL}`]);
    expect(plan.args.slice(6, 9)).toEqual(['-p', '2222', 'me@host']);
    expect(plan.args).toHaveLength(10);
  });

  it('wraps the command so it runs with AUTHCTL_SOCK set, read by the remote shell as ssh would', () => {
    // ssh joins the words with spaces for the remote shell: quotes and pipes keep their meaning.
    const plan = planSsh(['host', 'echo', '"$AUTHCTL_SOCK"', `"it's"`, '|', 'tr', 'a-z', 'A-Z'], LOCAL, false, REMOTE);
    expect(runRemotely(plan.args.at(-1)!)).toBe(`${REMOTE.toUpperCase()} IT'S\n`);
  });

  it('keeps the exit status of the remote command', () => {
    const plan = planSsh(['host', 'exit 3'], LOCAL, false, REMOTE);
    let status = 0;
    try {
      runRemotely(plan.args.at(-1)!);
    } catch (e) {
      status = (e as { status: number }).status;
    }
    expect(status).toBe(3);
  });

  it('asks for a terminal for an interactive shell only when stdin is one and the user did not say otherwise', () => {
    expect(planSsh(['host'], LOCAL, true, REMOTE).args).toContain('-t');
    expect(planSsh(['host'], LOCAL, false, REMOTE).args).not.toContain('-t');
    expect(planSsh(['-T', 'host'], LOCAL, true, REMOTE).args.filter((a) => a === '-t')).toEqual([]);
    expect(planSsh(['host', 'ls'], LOCAL, true, REMOTE).args).not.toContain('-t');
  });

  it('runs no remote command with -N (a forward only)', () => {
    const plan = planSsh(['-N', 'host'], LOCAL, true, REMOTE);
    expect(plan.args.at(-1)).toBe('host');
  });

  it('keeps -- right before the destination', () => {
    const plan = planSsh(['-v', '--', 'host', 'ls'], LOCAL, false, REMOTE);
    expect(plan.args.slice(6, 9)).toEqual(['-v', '--', 'host']);
  });

  it('refuses usage errors with exit code 2 (a missing host, a bad --print-config)', () => {
    expect(() => parseSshCommandArgs([])).toThrow(expect.objectContaining({ code: 'usage' }));
    expect(() => parseSshCommandArgs(['--print-config'])).toThrow(expect.objectContaining({ code: 'usage' }));
    expect(() => parseSshCommandArgs(['--print-config', 'a b'])).toThrow(/not a host name/);
  });

  it('prints config lines with a per-user remote socket and the line to add on the remote host', () => {
    const text = sshConfigLines('myserver', LOCAL);
    expect(text).toContain(`Host myserver\n  RemoteForward /tmp/authctl-%r.sock ${LOCAL}\n  StreamLocalBindUnlink yes\n`);
    expect(text).toContain('export AUTHCTL_SOCK=/tmp/authctl-$USER.sock');
  });
});
