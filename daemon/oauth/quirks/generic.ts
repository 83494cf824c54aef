/**
 * What every provider gets, whatever its family: the normalisations that are always
 * right because no conforming answer is changed by them. A profile without a preset
 * gets the dialect variants widely used clients tolerate (golang.org/x/oauth2 does):
 * `verification_url`, numbers as strings, no `interval` (the engine uses 5 s), errors
 * under any HTTP status, forms as answers. Presets are for what only one provider does.
 */
import { DEVICE_CODE_GRANT, renameError, type ProviderAnswer, type ProviderQuirks } from './types.js';

/** Fields RFC 6749 / 8628 define as numbers, which some providers send as strings (Entra v1). */
const NUMERIC_FIELDS = ['expires_in', 'interval', 'refresh_expires_in'];

export const generic: ProviderQuirks = {
  response(res) {
    for (const field of NUMERIC_FIELDS) {
      const v = res.body[field];
      if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim())) res.body[field] = Number(v);
    }
    // RFC 6749 §5.2 says 400; the error code in the body is what counts (GitHub answers 200
    // with an error, Auth0 403/429, Google 428/403). Read it whatever the status, except
    // 5xx, which stays a 5xx: the provider is in trouble and the request may be retried.
    if (typeof res.body.error === 'string' && res.body.error && res.status < 400) res.status = 400;
    // Google's (and others') name for RFC 8628's verification_uri.
    if (typeof res.body.verification_url === 'string' && res.body.verification_uri === undefined) {
      res.body.verification_uri = res.body.verification_url;
      delete res.body.verification_url;
    }
    // Entra's (and OpenAM's) name for RFC 8628's access_denied.
    renameError(res, 'authorization_declined', 'access_denied');
    // Some error bodies explain themselves in `message` (Entra, GitHub) rather than error_description.
    if (res.body.error && res.body.error_description === undefined && typeof res.body.message === 'string') res.body.error_description = res.body.message;
  },
};

interface DeviceState {
  /** Unix ms when the device code expires, by our clock, from expires_in. */
  expiresAt: number;
  /** The gap the provider asked for in its last slow_down, when it named one. */
  minGapMs: number;
  lastAnswerAt: number;
}

/**
 * RFC 8628 state for one login: the device code's expiry and the provider's own interval.
 * - `slow_down` with an explicit `interval` (GitHub): openid-client adds 5 s, as §3.5 says;
 *   when the provider names a longer interval, polls are held back until it has passed.
 * - `invalid_grant` for a device code past its expiry (Auth0 answers `expired_token` once,
 *   then `invalid_grant`) is `expired_token`: the user sees "the code expired".
 */
export function deviceFlow(now: () => number = Date.now): ProviderQuirks {
  const devices = new Map<string, DeviceState>();
  return {
    async beforeSend(req, signal) {
      const d = devices.get(req.params.get('device_code') ?? '');
      if (!d?.minGapMs) return;
      const wait = d.lastAnswerAt + d.minGapMs - now();
      if (wait > 0) await sleep(wait, signal);
    },
    response(res, req) {
      if (typeof res.body.device_code === 'string' && typeof res.body.expires_in === 'number') {
        devices.set(res.body.device_code, { expiresAt: now() + res.body.expires_in * 1000, minGapMs: 0, lastAnswerAt: now() });
        return;
      }
      if (req.params.get('grant_type') !== DEVICE_CODE_GRANT) return;
      const d = devices.get(req.params.get('device_code') ?? '');
      if (!d) return;
      d.lastAnswerAt = now();
      onPollError(res, d, now());
    },
  };
}

function onPollError(res: ProviderAnswer, d: DeviceState, at: number): void {
  if (res.body.error === 'slow_down' && typeof res.body.interval === 'number' && res.body.interval > 0) d.minGapMs = res.body.interval * 1000;
  if (res.body.error === 'invalid_grant' && at >= d.expiresAt) res.body.error = 'expired_token';
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', abort);
      resolve();
    }
    function abort() {
      clearTimeout(t);
      reject(signal!.reason);
    }
    signal?.addEventListener('abort', abort, { once: true });
  });
}
