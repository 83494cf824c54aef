import type { DiagnosticsResponse } from '../../shared/api.js';
import type { RouteContext } from './context.js';

/**
 * GET /v1/diagnostics[?profile=NAME]: each profile's provider (or the one named: `profile
 * add` checks a new issuer at once), reachable or not, and its clock against ours.
 */
export async function diagnostics({ broker, req }: RouteContext): Promise<DiagnosticsResponse> {
  const only = new URL(req.url ?? '/', 'http://authctl').searchParams.get('profile') ?? undefined;
  return { checkedAt: Math.floor(Date.now() / 1000), profiles: await broker.diagnose(only) };
}
