/**
 * Bounded retries with jittered exponential backoff ("full jitter": a random wait up to
 * base * 2^attempt, capped), so many agents behind one flaky proxy do not retry in step.
 * The caller decides what is worth retrying: never a verdict such as invalid_grant.
 */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  baseMs: number;
  maxMs: number;
}

/** For refreshes: three tries within a few seconds, so a request never waits long. */
export const REFRESH_RETRY: RetryPolicy = { attempts: 3, baseMs: 250, maxMs: 2_000 };

export async function withRetries<T>(
  fn: (attempt: number) => Promise<T>,
  retryable: (e: unknown) => boolean,
  policy: RetryPolicy = REFRESH_RETRY,
  random: () => number = Math.random,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt + 1 >= policy.attempts || !retryable(e)) throw e;
      const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
      await new Promise((r) => setTimeout(r, Math.round(random() * ceiling)));
    }
  }
}
