/** The broker's cache key: profile, sorted scopes, audience and resource (DESIGN.md, broker rules). */
export function tokenCacheKey(profile: string, scopes: readonly string[] | undefined, audience?: string, resource?: string): string {
  const s = scopes && scopes.length ? [...new Set(scopes)].sort().join(' ') : '';
  return JSON.stringify([profile, s, audience ?? '', resource ?? '']);
}
