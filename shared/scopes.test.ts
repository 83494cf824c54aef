import { describe, expect, it } from 'vitest';
import { isScopeToken, uniqueInOrder } from './scopes.js';

describe('isScopeToken (RFC 6749 §3.3, without commas)', () => {
  it('accepts NQCHAR strings, URL-shaped scopes included', () => {
    for (const s of ['openid', 'api:read', 'https://graph.microsoft.com/.default', 'a!#$%&\'()*+-./[]^_`{|}~']) expect(isScopeToken(s)).toBe(true);
  });
  it('refuses empty strings, whitespace, quotes, backslashes, commas, control and non-ASCII characters', () => {
    for (const s of ['', 'a b', 'a\tb', 'a\nb', 'a"b', 'a\\b', 'a,b', 'a\x00b', 'a\x7fb', 'café']) expect(isScopeToken(s)).toBe(false);
  });
});

describe('uniqueInOrder', () => {
  it('drops duplicates and keeps the order given', () => {
    expect(uniqueInOrder(['b', 'a', 'b', 'c', 'a'])).toEqual(['b', 'a', 'c']);
  });
});
