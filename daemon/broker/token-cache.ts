/** Access tokens in the agent's memory only, keyed per (profile, sorted scopes, audience, resource). */
import { tokenCacheKey } from '../../shared/cache-key.js';
import type { CachedTokenInfo } from '../../shared/api.js';

export interface CachedToken {
  accessToken: string;
  tokenType: string;
  /** Unix ms. */
  expiresAt: number;
  scopes: string[];
  profile: string;
  audience?: string;
  resource?: string;
}

export class TokenCache {
  private readonly entries = new Map<string, CachedToken>();

  static key(profile: string, scopes: readonly string[] | undefined, audience?: string, resource?: string): string {
    return tokenCacheKey(profile, scopes, audience, resource);
  }

  get(key: string): CachedToken | undefined {
    return this.entries.get(key);
  }

  set(key: string, token: CachedToken): void {
    this.entries.set(key, token);
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  dropProfile(profile: string): void {
    for (const [key, t] of this.entries) if (t.profile === profile) this.entries.delete(key);
  }

  /** Keys and expiry for status; never the values. */
  describe(profile: string): CachedTokenInfo[] {
    const out: CachedTokenInfo[] = [];
    for (const [key, t] of this.entries) {
      if (t.profile !== profile) continue;
      out.push({ key, scopes: t.scopes, audience: t.audience, resource: t.resource, expiresAt: Math.floor(t.expiresAt / 1000) });
    }
    return out;
  }

  /** Drops expired entries so memory does not grow with one-off scope combinations. */
  sweep(nowMs: number): void {
    for (const [key, t] of this.entries) if (t.expiresAt <= nowMs) this.entries.delete(key);
  }
}
