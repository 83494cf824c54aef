import { describe, expect, it } from 'vitest';
import { MAX_RETRY_AFTER_MS, retryAfterMs } from './retry-after.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const h = (o: Record<string, string>) => new Headers(o);

describe('retryAfterMs', () => {
  it('reads seconds, HTTP dates (against the answer\'s Date) and Okta\'s reset time', () => {
    expect(retryAfterMs(429, h({ 'retry-after': '7' }), NOW)).toBe(7000);
    expect(retryAfterMs(503, h({ 'retry-after': 'Thu, 01 Jan 2026 00:00:10 GMT', date: 'Thu, 01 Jan 2026 00:00:05 GMT' }), NOW)).toBe(5000);
    // The provider's clock is 100 s ahead of ours: the reset is 4 s away by its clock.
    const providerNow = NOW + 100_000;
    expect(retryAfterMs(429, h({ 'x-rate-limit-reset': String(providerNow / 1000 + 4), date: new Date(providerNow).toUTCString() }), NOW)).toBe(4000);
  });

  it('caps the wait, ignores Okta\'s header outside a 429, and says nothing without a header', () => {
    expect(retryAfterMs(429, h({ 'retry-after': '3600' }), NOW)).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfterMs(200, h({ 'x-rate-limit-reset': String(NOW / 1000 + 30) }), NOW)).toBeUndefined();
    expect(retryAfterMs(503, h({}), NOW)).toBeUndefined();
    expect(retryAfterMs(429, h({ 'retry-after': 'soon' }), NOW)).toBeUndefined();
  });
});
