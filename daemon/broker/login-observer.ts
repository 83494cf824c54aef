/**
 * Watches the device-code polls that openid-client makes, so the login stream can tell
 * the CLI the current interval (RFC 8628 §3.5: `slow_down` adds 5 s to every later poll).
 */
import type { OAuthEngine } from '../oauth/oauth-engine.js';
import type { FetchLike } from '../oauth/transport.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export function loginPollObserver(oauth: OAuthEngine, onInterval: (seconds: number) => void): { fetch: FetchLike; start(interval: number): void } {
  let interval = 5;
  const base = oauth.fetch;
  const fetch: FetchLike = async (url, init) => {
    const res = await base(url, init);
    // Any status: this sits below the quirk layer, and GitHub answers slow_down with HTTP 200.
    if (String(init.body ?? '').includes(encodeURIComponent(DEVICE_GRANT))) {
      const body = await res.clone().json().catch(() => null) as { error?: string; interval?: number | string } | null;
      if (body?.error === 'slow_down') {
        const named = Number(body.interval);
        interval = Number.isFinite(named) && named > interval ? named : interval + 5;
        onInterval(interval);
      }
    }
    return res;
  };
  return { fetch, start: (i) => (interval = i) };
}
