import { describe, expect, it } from 'vitest';
import { checkNesting, parseExecArgs } from './exec.js';

describe('authctl exec arguments', () => {
  it('everything after -- is the command, options and all', () => {
    expect(parseExecArgs(['--profile', 'gh', '--env', 'GH_TOKEN', '--', 'gh', '--version', '--', 'x'], {})).toEqual({
      profile: 'gh',
      envName: 'GH_TOKEN',
      nested: false,
      command: ['gh', '--version', '--', 'x'],
    });
    expect(parseExecArgs(['env'], { AUTHCTL_PROFILE: 'work' })).toMatchObject({ profile: 'work', command: ['env'] });
  });

  it('refuses to nest unless --nested', () => {
    const opts = parseExecArgs(['--', 'true'], {});
    expect(() => checkNesting(opts, { AUTHCTL_EXEC: 'work' })).toThrow(/already inside `authctl exec` for profile "work".*--nested/);
    expect(() => checkNesting({ ...opts, nested: true }, { AUTHCTL_EXEC: 'work' })).not.toThrow();
    expect(() => checkNesting(opts, {})).not.toThrow();
  });
});
