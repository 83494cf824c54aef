import { describe, expect, it } from 'vitest';
import { formatAssignments } from './env.js';
import { fishQuote, shQuote } from './quote.js';
import { checkEnvNameOption } from './token-env.js';

describe('authctl env formats', () => {
  const vars: Array<[string, string]> = [
    ['AUTHCTL_ACCESS_TOKEN', `a'b "c" $d`],
    ['AUTHCTL_ACCESS_TOKEN_EXPIRES_AT', '1900000000'],
  ];

  it('sh: export with every value single-quoted', () => {
    expect(formatAssignments(vars, 'sh')).toBe(`export AUTHCTL_ACCESS_TOKEN='a'\\''b "c" $d'\nexport AUTHCTL_ACCESS_TOKEN_EXPIRES_AT='1900000000'\n`);
  });

  it('fish: set -gx with \\\\ and \\\' escaped inside single quotes', () => {
    expect(formatAssignments(vars, 'fish')).toBe(`set -gx AUTHCTL_ACCESS_TOKEN 'a\\'b "c" $d'\nset -gx AUTHCTL_ACCESS_TOKEN_EXPIRES_AT '1900000000'\n`);
    expect(fishQuote('back\\slash')).toBe("'back\\\\slash'");
  });

  it('json: one object of names to strings', () => {
    expect(JSON.parse(formatAssignments(vars, 'json'))).toEqual(Object.fromEntries(vars));
  });

  it('sh quoting leaves nothing special outside the quotes', () => {
    expect(shQuote("'")).toBe(`''\\'''`);
    expect(shQuote('')).toBe("''");
  });

  it('refuses AUTHCTL_TOKEN and names a shell cannot assign', () => {
    expect(() => checkEnvNameOption('AUTHCTL_TOKEN')).toThrow(/reserved for a pre-issued token/);
    expect(() => checkEnvNameOption('GH-TOKEN')).toThrow(/not a variable name/);
    expect(() => checkEnvNameOption('GH_TOKEN')).not.toThrow();
    expect(() => checkEnvNameOption(undefined)).not.toThrow();
  });
});
