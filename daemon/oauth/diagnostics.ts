/**
 * Checks for `authctl doctor` (through GET /v1/diagnostics): can the agent reach each
 * profile's provider with its own transport (proxy, CA bundle), and how far apart are the
 * provider's clock and ours. Tokens' lifetimes are counted from expires_in, so skew does
 * not shorten them here; but the APIs that check `exp`/`nbf` against their own clocks, and
 * the provider's checks of our timestamps, do fail when clocks disagree.
 */
import type { ProfileDiagnostics } from '../../shared/api.js';
import type { Profile } from '../../shared/config.js';
import { idpFailure } from './errors.js';
import { CLOCK_SKEW_WARN_SECONDS, skewSeconds, skewWarning } from './provider-clock.js';
import type { FetchLike } from './transport.js';

export { CLOCK_SKEW_WARN_SECONDS } from './provider-clock.js';
const CHECK_TIMEOUT_MS = 5_000;

export type ProbeResult =
  | { reachable: true; url: string; status: number; body: unknown; skewSeconds?: number }
  | { reachable: false; url: string; error: string };

/**
 * One GET to `url`; any HTTP answer means reachable. The skew is the provider's `Date`
 * header minus the midpoint of our request (the header has one-second resolution, so
 * half a second is added to its value): positive when the provider is ahead.
 */
export async function probe(url: string, fetch: FetchLike, now: () => number = Date.now): Promise<ProbeResult> {
  const sent = now();
  try {
    const res = await fetch(url, { method: 'GET', headers: { accept: 'application/json' }, signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
    const received = now();
    const body = await res.json().catch(() => null);
    return { reachable: true, url, status: res.status, body, skewSeconds: skewSeconds(res.headers.get('date'), sent, received) };
  } catch (e) {
    return { reachable: false, url, error: idpFailure(e, url).message };
  }
}

/** The URL the agent asks first: the discovery document, or the token endpoint when there is none. */
function probeUrl(profile: Pick<Profile, 'issuer' | 'endpoints'>): string {
  if (profile.endpoints) return profile.endpoints.token;
  return `${profile.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/** Is this the provider's discovery document, with the device flow `authctl login` needs? */
function discoveryProblem(p: Extract<ProbeResult, { reachable: true }>, issuer: string): string | undefined {
  if (p.status < 200 || p.status > 299) return `${p.url} answered HTTP ${p.status}`;
  const meta = p.body as { issuer?: unknown; device_authorization_endpoint?: unknown } | null;
  if (!meta || meta.issuer !== issuer) return `${p.url} is not the discovery document of ${issuer} (its "issuer" differs)`;
  if (typeof meta.device_authorization_endpoint !== 'string') return `${issuer} offers no device authorization endpoint, which \`authctl login\` needs`;
  return undefined;
}

export async function diagnoseProfile(name: string, profile: Pick<Profile, 'issuer' | 'endpoints'>, fetch: FetchLike): Promise<ProfileDiagnostics> {
  const check = await probe(probeUrl(profile), fetch);
  const out: ProfileDiagnostics = { profile: name, issuer: profile.issuer, reachable: check.reachable };
  if (!check.reachable) return { ...out, error: `${check.error}; check the network, HTTPS_PROXY and the CA bundle` };
  // Manual profiles have no discovery document: an answer from the token endpoint is all we can ask.
  const problem = profile.endpoints ? undefined : discoveryProblem(check, profile.issuer);
  if (problem) out.problem = problem;
  if (check.skewSeconds === undefined) return out;
  out.skewSeconds = check.skewSeconds;
  if (Math.abs(check.skewSeconds) > CLOCK_SKEW_WARN_SECONDS) {
    out.skewWarning = skewWarning(check.skewSeconds);
  }
  return out;
}
