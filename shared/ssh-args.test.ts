import { describe, expect, it } from 'vitest';
import { destinationOfSshArgv, parseSshArgs, SshArgsError } from './ssh-args.js';

describe('parseSshArgs: finding the destination the way ssh(1) does', () => {
  it('skips the values of options that take one, separate or attached', () => {
    const l = parseSshArgs(['-p', '2222', '-i', 'key', '-oBatchMode=yes', '-l', 'bob', 'host', 'ls', '-l']);
    expect(l.destination).toBe('host');
    expect(l.options).toEqual(['-p', '2222', '-i', 'key', '-oBatchMode=yes', '-l', 'bob']);
    expect(l.command).toEqual(['ls', '-l']);
  });

  it('reads bundled flags, with a value-taking option last in the bundle', () => {
    const l = parseSshArgs(['-vvtp', '22', 'user@host']);
    expect(l.destination).toBe('user@host');
    expect([...l.flags].sort()).toEqual(['t', 'v']);
    expect(parseSshArgs(['-4Ap22', 'h']).destination).toBe('h');
  });

  it('takes options after the destination, as ssh restarts getopt there, until the command starts', () => {
    const l = parseSshArgs(['host', '-p', '22', '-T', 'echo', '-n', 'x']);
    expect(l.destination).toBe('host');
    expect(l.options).toEqual(['-p', '22', '-T']);
    expect(l.command).toEqual(['echo', '-n', 'x']);
  });

  it('treats a word after -- as the destination even when it starts with a dash', () => {
    const l = parseSshArgs(['-v', '--', '-weird-alias', 'uptime']);
    expect(l.destination).toBe('-weird-alias');
    expect(l.command).toEqual(['uptime']);
  });

  it('does not take an option value for the destination (-J, -F, -o, -R, -W...)', () => {
    for (const opt of ['-J', '-F', '-o', '-R', '-L', '-W', '-S', '-E', '-b', '-c', '-m', '-Q', '-B', '-w', '-e', '-O', '-P', '-D', '-I']) {
      expect(parseSshArgs([opt, 'value', 'realhost']).destination, opt).toBe('realhost');
    }
  });

  it('refuses a missing destination, an option without its value, and an unknown option', () => {
    expect(() => parseSshArgs(['-v'])).toThrow(SshArgsError);
    expect(() => parseSshArgs(['host', '-p'])).toThrow(/-p needs a value/);
    expect(() => parseSshArgs(['-Z', 'host'])).toThrow(/unknown ssh option -Z/);
  });

  it('names the destination of a running ssh client from its argv, or nothing', () => {
    expect(destinationOfSshArgv(['/usr/bin/ssh', '-o', 'StreamLocalBindUnlink=yes', '-R', '/tmp/a.sock:/run/f.sock', '-F', 'cfg', 'alias', 'sh', '-c', 'x'])).toBe('alias');
    expect(destinationOfSshArgv(['ssh'])).toBeUndefined();
  });
});
