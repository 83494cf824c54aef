import type { DiagnosticsResponse } from '../../shared/api.js';
import type { RouteContext } from './context.js';

/** GET /v1/diagnostics: each profile's provider, reachable or not, and its clock against ours. */
export async function diagnostics({ broker }: RouteContext): Promise<DiagnosticsResponse> {
  return { checkedAt: Math.floor(Date.now() / 1000), profiles: await broker.diagnose() };
}
