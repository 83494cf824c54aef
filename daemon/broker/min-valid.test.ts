import { describe, expect, it } from 'vitest';
import { effectiveMinValidity, OnceWarnings, shortLifetimeWarning } from './min-valid.js';

describe('effectiveMinValidity', () => {
  it('keeps the minimum asked for when it is at most half the issued lifetime', () => {
    expect(effectiveMinValidity(60, 300_000, 60)).toEqual({ seconds: 60, capped: false });
    expect(effectiveMinValidity(150, 300_000, 150)).toEqual({ seconds: 150, capped: false });
  });

  it('caps it at half the issued lifetime for a token already minted for that wish or a larger one', () => {
    expect(effectiveMinValidity(3600, 300_000, 3600)).toEqual({ seconds: 150, capped: true });
    expect(effectiveMinValidity(400, 300_000, 3600)).toEqual({ seconds: 150, capped: true });
    expect(effectiveMinValidity(10, 3_000, 10).seconds).toBe(1);
  });

  it('lets a token minted for a smaller wish (a login\'s) be refreshed once', () => {
    expect(effectiveMinValidity(3600, 300_000, 0)).toEqual({ seconds: 3600, capped: false });
    expect(effectiveMinValidity(3600, 300_000, 60)).toEqual({ seconds: 3600, capped: false });
  });

  it('words the warning with both numbers', () => {
    expect(shortLifetimeWarning(3600, 300_000)).toBe('the provider issued a token valid for 300s, less than the 3600s asked for; handing it out, and refreshing again only when 150s are left');
  });
});

describe('OnceWarnings', () => {
  it('says each warning once, and stays bounded', () => {
    const w = new OnceWarnings(2);
    expect(w.first('a')).toBe(true);
    expect(w.first('a')).toBe(false);
    w.first('b');
    w.first('c');
    expect(w.first('c')).toBe(false);
  });
});
