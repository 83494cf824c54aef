/**
 * The token endpoint's answer as the provider sent it (after the quirk layer), captured
 * in the transport before openid-client validates it. Once a provider has answered 200
 * with a token, it has rotated the refresh token and consumed the device code: that
 * answer must not be lost because a check the agent does not need fails afterwards (an
 * ID token's `nbf` by a skewed clock, an unknown `token_type`, a non-string `scope`).
 */
import type { FetchLike } from './transport.js';

export type RawTokenAnswer = Record<string, unknown>;

export interface TokenAnswerCapture {
  fetch: FetchLike;
  /** The last 200 answer with an access token, when there was one. */
  accepted(): RawTokenAnswer | undefined;
  /** The device-poll interval now, after the provider's slow_downs (RFC 8628 §3.5). */
  interval(): number;
}

export interface CaptureOptions {
  /**
   * Awaited before openid-client sees the answer: the broker persists a rotated refresh
   * token here, so nothing that happens later can lose it.
   */
  onAccepted?: (answer: RawTokenAnswer) => Promise<void>;
  /** The poll interval the device authorization named (default 5). */
  interval?: number;
}

export function captureTokenAnswers(fetch: FetchLike, tokenEndpoint: string, opts: CaptureOptions = {}): TokenAnswerCapture {
  let accepted: RawTokenAnswer | undefined;
  let interval = opts.interval ?? 5;
  const endpoint = withoutQuery(tokenEndpoint);
  const wrapped: FetchLike = async (url, init) => {
    const res = await fetch(url, init);
    if ((init.method ?? 'GET').toUpperCase() !== 'POST' || withoutQuery(url) !== endpoint) return res;
    const body = (await res.clone().json().catch(() => null)) as RawTokenAnswer | null;
    if (!body || typeof body !== 'object') return res;
    if (body.error === 'slow_down') {
      const named = Number(body.interval);
      interval = Number.isFinite(named) && named > interval ? named : interval + 5;
    }
    if (res.status === 200 && typeof body.access_token === 'string' && body.access_token) {
      accepted = body;
      await opts.onAccepted?.(body);
    }
    return res;
  };
  return { fetch: wrapped, accepted: () => accepted, interval: () => interval };
}

function withoutQuery(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}
