/**
 * Bounded retries with jittered exponential backoff ("full jitter": a random wait up to
 * base * 2^attempt, capped), so many agents behind one flaky proxy do not retry in step.
 * The caller decides what is worth retrying: never a verdict such as invalid_grant.
 * A time budget bounds the whole thing (tries and waits), so the request that waits for
 * it is answered before its client gives up; a wait the provider asked for (Retry-After)
 * is honoured, and when it does not fit in the budget the last error is thrown at once.
 */
import { step } from '../trace.js';

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  baseMs: number;
  maxMs: number;
  /** All tries and waits together; a try still running at the end is aborted. */
  budgetMs?: number;
}

/**
 * For refreshes: three tries within 10 s, so a request never waits long (the broker
 * answers every token request within ANSWER_DEADLINE_MS, daemon/broker/refresh-backoff.ts).
 */
export const REFRESH_RETRY: RetryPolicy = { attempts: 3, baseMs: 250, maxMs: 2_000, budgetMs: 10_000 };

export async function withRetries<T>(
  fn: (attempt: number, signal?: AbortSignal) => Promise<T>,
  retryable: (e: unknown) => boolean,
  policy: RetryPolicy = REFRESH_RETRY,
  random: () => number = Math.random,
  askedWaitMs: (e: unknown) => number | undefined = () => undefined,
): Promise<T> {
  const started = Date.now();
  const signal = policy.budgetMs ? AbortSignal.timeout(policy.budgetMs) : undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt, signal);
    } catch (e) {
      if (attempt + 1 >= policy.attempts || !retryable(e)) throw e;
      const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
      const wait = Math.max(Math.round(random() * ceiling), askedWaitMs(e) ?? 0);
      if (policy.budgetMs !== undefined && Date.now() - started + wait >= policy.budgetMs) {
        step(() => `try ${attempt + 1} failed; no time left for another within ${policy.budgetMs} ms`);
        throw e;
      }
      step(() => `try ${attempt + 1} of ${policy.attempts} failed (${(e as Error)?.message?.split('\n')[0] ?? 'error'}); retrying in ${wait} ms`);
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
