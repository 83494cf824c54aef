/**
 * How long shutdown waits for work in flight: longer than a refresh's whole retry budget
 * (every attempt timing out, plus the backoff between them, or the policy's time budget
 * when that is shorter) and the store write after it,
 * so a refresh the provider has answered is never cut off before its rotated refresh token
 * is written. The service units (TimeoutStopSec, ExitTimeOut: 90 s) allow more than this
 * (25 s with the refresh budget of 10 s).
 */
import { REFRESH_RETRY, type RetryPolicy } from './oauth/retry.js';

/** The keychain store's own timeout for one call (keychain-store.ts). */
export const STORE_WRITE_BUDGET_MS = 10_000;
const MARGIN_MS = 5_000;

/** The longest a refresh with retries can take when each attempt may last `attemptTimeoutMs`. */
export function refreshBudgetMs(attemptTimeoutMs: number, policy: RetryPolicy = REFRESH_RETRY): number {
  let total = policy.attempts * attemptTimeoutMs;
  for (let attempt = 0; attempt + 1 < policy.attempts; attempt++) total += Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  // A time budget (retry.ts) ends every try and wait at its end.
  return policy.budgetMs !== undefined ? Math.min(total, policy.budgetMs) : total;
}

export function stopDeadlineMs(attemptTimeoutMs: number, policy: RetryPolicy = REFRESH_RETRY): number {
  return refreshBudgetMs(attemptTimeoutMs, policy) + STORE_WRITE_BUDGET_MS + MARGIN_MS;
}
