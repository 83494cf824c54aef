import { describe, expect, it } from 'vitest';
import { closestName, editDistance } from './suggest.js';

describe('did you mean', () => {
  it('counts edits, with a swap of neighbours as one', () => {
    expect(editDistance('token', 'token')).toBe(0);
    expect(editDistance('tokne', 'token')).toBe(1);
    expect(editDistance('tken', 'token')).toBe(1);
    expect(editDistance('login', 'logout')).toBe(3);
  });

  it('suggests typos and prefixes, not different words', () => {
    const commands = ['token', 'login', 'logout', 'status', 'profile', 'setup-git', 'setup-kube'];
    expect(closestName('tokne', commands)).toBe('token');
    expect(closestName('statsu', commands)).toBe('status');
    expect(closestName('prof', commands)).toBe('profile');
    expect(closestName('setup-kub', commands)).toBe('setup-kube');
    expect(closestName('frobnicate', commands)).toBeUndefined();
    expect(closestName('x', commands)).toBeUndefined();
  });
});

describe('ties', () => {
  it('go to the name that starts like the input', () => {
    expect(closestName('fsh', ['sh', 'fish', 'json'])).toBe('fish');
  });
});
