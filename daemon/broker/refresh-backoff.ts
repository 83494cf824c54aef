/**
 * What keeps a burst of token requests fast while the provider is down, slow or
 * rate-limiting: a refresh that just failed is remembered per profile for a few seconds
 * (or for as long as the provider asked with Retry-After, capped at 60 s), so the requests
 * behind it fail at once (or get the cached token, see TokenBroker.staleAnswer) instead of
 * each repeating the whole retry budget; and every token request is answered within a
 * deadline, well before a client gives up on the agent (which it would report as the
 * agent being unreachable).
 */
import { AuthctlError } from '../../shared/errors.js';

/** How long a transient refresh failure is remembered when the provider named no wait. */
export const FAILURE_MEMORY_MS = 5_000;
/**
 * Every token request that needs the provider is answered within this. Longer than the
 * refresh's own budget (REFRESH_RETRY.budgetMs, 10 s), shorter than the agent's idle
 * connection timeout (60 s, daemon/server.ts) and than any client's patience we know of.
 */
export const ANSWER_DEADLINE_MS = 14_000;

export class RecentRefreshFailures {
  private readonly failures = new Map<string, { error: AuthctlError; at: number; until: number }>();

  constructor(
    private readonly memoryMs: number = FAILURE_MEMORY_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws the profile's recent transient failure again, saying when the agent will ask anew. */
  throwIfRecent(profile: string): void {
    const f = this.failures.get(profile);
    if (!f) return;
    const left = f.until - this.now();
    if (left <= 0) return void this.failures.delete(profile);
    throw new AuthctlError(f.error.code, `${f.error.message} (the agent asks again in ${Math.ceil(left / 1000)}s)`, f.error.details);
  }

  /** Remembers a transient failure (a verdict such as invalid_scope is not remembered). */
  record(profile: string, error: AuthctlError): void {
    if (error.code !== 'idp_unavailable') return;
    const asked = Number(error.details.retryAfterMs ?? 0);
    const ms = Math.max(this.memoryMs, Number.isFinite(asked) ? asked : 0);
    if (ms > 0) this.failures.set(profile, { error, at: this.now(), until: this.now() + ms });
  }

  clear(profile: string): void {
    this.failures.delete(profile);
  }
}

/**
 * `work`, or `late()` thrown once `ms` have passed; `work` goes on (a refresh that
 * completes later still fills the cache and stores its rotated refresh token).
 */
export function answerWithin<T>(work: Promise<T>, ms: number, late: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late()), ms);
  });
  work.catch(() => undefined); // a failure after the deadline is nobody's to hear
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
