/**
 * Access tokens in the agent's memory only, keyed per (issuer, client, profile, sorted
 * scopes, audience, resource). Bounded: expired entries are swept, and each profile keeps
 * at most MAX_KEYS_PER_PROFILE keys (least recently used evicted), so a client asking for
 * endless scope combinations cannot grow the agent's memory.
 */
import { tokenCacheKey } from '../../shared/cache-key.js';
import type { CachedTokenInfo } from '../../shared/api.js';

export interface CachedToken {
  accessToken: string;
  tokenType: string;
  /** Unix ms. */
  expiresAt: number;
  /** How long the provider made it valid, in ms (expiresAt minus when it arrived). */
  lifetimeMs: number;
  scopes: string[];
  profile: string;
  issuer: string;
  clientId: string;
  audience?: string;
  resource?: string;
  /** Unix ms after which it is not handed out although unexpired (privileged cacheSeconds). */
  usableUntil?: number;
  /** The minValidSeconds of the request whose refresh minted it (absent: a login's). */
  mintedForSeconds?: number;
  /** Scopes the provider added beyond those asked for (answer-scope.ts), said once. */
  broader?: string[];
}

export interface CacheKeyParts {
  profile: string;
  issuer: string;
  clientId: string;
  scopes?: readonly string[];
  audience?: string;
  resource?: string;
}

export const MAX_KEYS_PER_PROFILE = 32;
const SWEEP_EVERY_MS = 60_000;

export class TokenCache {
  /** Map order is recency order: a hit moves its entry to the end. */
  private readonly entries = new Map<string, CachedToken>();
  private lastSweep = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxKeysPerProfile = MAX_KEYS_PER_PROFILE,
  ) {}

  /** Issuer and client are part of the key: a profile pointed at another provider never gets the old one's token. */
  static key(k: CacheKeyParts, kind: 'ordinary' | 'privileged' = 'ordinary'): string {
    const base = tokenCacheKey(k.profile, k.scopes, k.audience, k.resource);
    return `${kind === 'privileged' ? 'privileged ' : ''}${JSON.stringify([k.issuer, k.clientId])}${base}`;
  }

  get(key: string): CachedToken | undefined {
    const t = this.entries.get(key);
    if (!t) return undefined;
    this.entries.delete(key);
    this.entries.set(key, t);
    return t;
  }

  set(key: string, token: CachedToken): void {
    this.entries.delete(key);
    this.entries.set(key, token);
    const now = this.now();
    if (now - this.lastSweep >= SWEEP_EVERY_MS) this.sweep(now);
    this.evictBeyondCap(token.profile);
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  dropProfile(profile: string): void {
    for (const [key, t] of this.entries) if (t.profile === profile) this.entries.delete(key);
  }

  /** Keys and expiry for status (for the profile's current issuer and client); never the values. */
  describe(profile: string, issuer?: string, clientId?: string): CachedTokenInfo[] {
    const out: CachedTokenInfo[] = [];
    for (const [key, t] of this.entries) {
      if (t.profile !== profile || (issuer !== undefined && t.issuer !== issuer) || (clientId !== undefined && t.clientId !== clientId)) continue;
      out.push({ key, scopes: t.scopes, audience: t.audience, resource: t.resource, expiresAt: Math.floor(t.expiresAt / 1000) });
    }
    return out;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Drops expired entries (and privileged ones past their cacheSeconds). */
  sweep(nowMs: number = this.now()): void {
    this.lastSweep = nowMs;
    for (const [key, t] of this.entries) if (t.expiresAt <= nowMs || (t.usableUntil !== undefined && t.usableUntil <= nowMs)) this.entries.delete(key);
  }

  private evictBeyondCap(profile: string): void {
    let count = 0;
    for (const t of this.entries.values()) if (t.profile === profile) count++;
    for (const [key, t] of this.entries) {
      if (count <= this.maxKeysPerProfile) break;
      if (t.profile !== profile) continue;
      this.entries.delete(key);
      count--;
    }
  }
}
