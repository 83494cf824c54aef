/**
 * How much validity a token must have left to be handed out. `minValidSeconds` is a wish;
 * the provider decides lifetimes. When the wish is more than half the lifetime the provider
 * issues, honouring it literally would refresh (rotate, write the keychain) on every
 * request. So a token that was already minted for this wish (or a larger one) and came back
 * shorter is handed out until half its lifetime is left: each issued token is replaced at
 * most once. A token minted for a smaller wish (the login's, say) gets one refresh first:
 * the provider may well issue a longer one.
 */
export interface MinValidity {
  /** Seconds that must be left. */
  seconds: number;
  /** Set when the cap applied. */
  capped: boolean;
}

/** `mintedForSeconds`: the minValidSeconds of the request whose refresh minted the token (0 for a login's). */
export function effectiveMinValidity(askedSeconds: number, issuedLifetimeMs: number, mintedForSeconds = 0): MinValidity {
  const half = Math.floor(issuedLifetimeMs / 2000);
  if (askedSeconds <= half || mintedForSeconds < askedSeconds) return { seconds: askedSeconds, capped: false };
  return { seconds: half, capped: true };
}

/** The one warning for a fresh token shorter-lived than asked. */
export function shortLifetimeWarning(askedSeconds: number, issuedLifetimeMs: number): string {
  const lifetime = Math.round(issuedLifetimeMs / 1000);
  return `the provider issued a token valid for ${lifetime}s, less than the ${askedSeconds}s asked for; handing it out, and refreshing again only when ${Math.floor(issuedLifetimeMs / 2000)}s are left`;
}

/** Remembers which warnings were already given, so each is said once; bounded like the cache. */
export class OnceWarnings {
  private readonly said = new Set<string>();

  constructor(private readonly max = 256) {}

  /** True the first time `key` is seen. */
  first(key: string): boolean {
    if (this.said.has(key)) return false;
    if (this.said.size >= this.max) this.said.clear();
    this.said.add(key);
    return true;
  }
}
