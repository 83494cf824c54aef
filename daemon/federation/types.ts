/** The pieces of workload identity federation (the broker's federated-token.ts drives them). */
import { createHash } from 'node:crypto';
import type { ResolvedProfile } from '../../shared/config.js';
import type { FederationInput } from '../../shared/federation.js';
import type { FetchLike } from '../oauth/transport.js';

/** A CI identity token that can be fetched; `binding` says which job identity it is. */
export interface IdentitySource {
  /**
   * A hash naming this job's identity (the GitHub request token, the token itself, the
   * file's content), so a cached access token is handed out only to the job it was
   * exchanged for, and a new job or a rotated file gets a new exchange.
   */
  binding: string;
  /** The identity token (a JWT); GitHub's is fetched only here, on a cache miss. */
  token(): Promise<string>;
}

export interface SourceContext {
  profile: ResolvedProfile;
  /** What the asking CLI read from its environment; undefined when it sent nothing yet. */
  input?: FederationInput;
  fetch: FetchLike;
}

export function bindingOf(...parts: string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 32);
}
