/**
 * How long a provider asked us to wait: RFC 9110 §10.2.3 `Retry-After` (seconds or an
 * HTTP date) and Okta's `X-Rate-Limit-Reset` (Unix seconds when the window resets).
 * Dates are read against the answer's own `Date` header when it has one, so a provider
 * whose clock is off from ours does not make us wait too long or not at all. Capped, so
 * a provider asking for an hour does not stall the agent for an hour.
 */
export const MAX_RETRY_AFTER_MS = 60_000;

/** Milliseconds to wait before asking again, or undefined when the answer names no time. */
export function retryAfterMs(status: number, headers: Headers, now: number = Date.now()): number | undefined {
  const providerNow = Date.parse(headers.get('date') ?? '');
  const base = Number.isFinite(providerNow) ? providerNow : now;
  const named = parseRetryAfter(headers.get('retry-after'), base) ?? (status === 429 ? parseRateLimitReset(headers.get('x-rate-limit-reset'), base) : undefined);
  if (named === undefined) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, named));
}

function parseRetryAfter(value: string | null, base: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isFinite(at) ? at - base : undefined;
}

/** Okta sends X-Rate-Limit-Reset on every answer; it means "wait" only on a 429. */
function parseRateLimitReset(value: string | null, base: number): number | undefined {
  if (!value || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim()) * 1000 - base;
}
