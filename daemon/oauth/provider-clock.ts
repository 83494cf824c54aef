/**
 * How far each provider's clock is from ours, learnt from the `Date` header of every
 * answer the agent gets (discovery, device authorization, token endpoint), so no extra
 * request is made. The engine gives it to openid-client as the clock skew of each
 * Configuration: an ID token stamped by a provider whose clock is 90 s ahead (or a
 * machine whose clock drifted: WSL2, a resumed VM) is then checked against the
 * provider's time, not refused as "not yet valid". A skew beyond the warning threshold is
 * reported once per provider (the broker puts it on an answer) and in `status`.
 */
import type { FetchLike } from './transport.js';

/** Beyond this the agent warns (JWT validators commonly allow 30-60 s of leeway). */
export const CLOCK_SKEW_WARN_SECONDS = 30;

export class ProviderClock {
  private readonly skews = new Map<string, number>();
  private readonly reported = new Set<string>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Wraps a fetch so every answer's Date header updates the skew of its origin. */
  observe(fetch: FetchLike): FetchLike {
    return async (url, init) => {
      const sent = this.now();
      const res = await fetch(url, init);
      const skew = skewSeconds(res.headers.get('date'), sent, this.now());
      if (skew !== undefined) this.skews.set(new URL(url).origin, skew);
      return res;
    };
  }

  /** Seconds the provider at `url` is ahead of us (negative: behind), when known. */
  skewOf(url: string): number | undefined {
    return this.skews.get(new URL(url).origin);
  }

  /** A sentence for people when the skew is beyond the threshold, else undefined. */
  warningFor(url: string): string | undefined {
    const skew = this.skewOf(url);
    if (skew === undefined || Math.abs(skew) <= CLOCK_SKEW_WARN_SECONDS) return undefined;
    return skewWarning(skew);
  }

  /** Like warningFor, but only the first time for this provider (the stderr of one CLI run). */
  warnOnce(url: string): string | undefined {
    const warning = this.warningFor(url);
    const origin = new URL(url).origin;
    if (!warning || this.reported.has(origin)) return undefined;
    this.reported.add(origin);
    return warning;
  }
}

/** The provider's clock minus the midpoint of our request; the header has one-second resolution. */
export function skewSeconds(date: string | null, sent: number, received: number): number | undefined {
  const at = Date.parse(date ?? '');
  return Number.isFinite(at) ? Math.round((at + 500 - (sent + received) / 2) / 1000) : undefined;
}

export function skewWarning(skew: number): string {
  const side = skew > 0 ? 'ahead of' : 'behind';
  return `the provider's clock is ${Math.abs(skew)}s ${side} this machine's: tokens may be refused as expired or not yet valid; sync the clock (e.g. enable NTP)`;
}
