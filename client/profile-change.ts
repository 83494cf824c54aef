/**
 * What changing the set of profiles must do besides writing the file (issue #15 items 5 and
 * 7): say which profile is the default and never change it silently, and never leave a live
 * refresh token behind. A profile that is removed, or whose issuer or client id is
 * replaced, is logged out first through the agent (revoked at the provider, RFC 7009, and
 * its cached tokens dropped), as `gh auth logout` does before an account goes; if that
 * cannot be done, nothing is changed and the message says what to run.
 */
import type { LogoutResponse } from '../shared/api.js';
import type { EffectiveConfig, Profile } from '../shared/config.js';
import { AuthctlError } from '../shared/errors.js';
import { terminalSafe } from '../shared/terminal-text.js';
import type { CommandIO } from './io.js';

/** Ends `name`'s session before it goes (`why` says what is about to happen); throws when it cannot. */
export async function endSessionFirst(io: CommandIO, name: string, why: string): Promise<void> {
  let res: LogoutResponse;
  try {
    res = await io.agent().call<LogoutResponse>('POST', '/v1/logout', { profile: name });
  } catch (e) {
    const err = e instanceof AuthctlError ? e : new AuthctlError('internal', (e as Error).message);
    // Not a profile the agent can use (an invalid entry), and no session stored under the name: nothing to end.
    if (err.code === 'unknown_profile' || (err.code === 'config_invalid' && err.details.profile === name)) return;
    throw new AuthctlError(err.code, `${err.message}\nNothing was changed: profile "${name}" may hold a live session, and ${why} would leave it behind. Log out first (\`authctl logout --profile ${name}\`), then run this again.`);
  }
  const entry = res.profiles.find((p) => p.profile === name);
  // Neither configured (as the agent reads it: an invalid profile is not) nor stored: no session to end.
  if (entry?.errorCode === 'unknown_profile') return;
  if (entry?.error) {
    throw new AuthctlError(entry.errorCode ?? 'internal', `could not log out of "${name}" before ${why}: ${entry.error}\nNothing was changed; fix that (see \`authctl status\`), or log out with \`authctl logout --profile ${name}\`, then run this again.`);
  }
  if (entry?.cancelledLogin) io.stderr.write(`Cancelled the login waiting for approval for "${name}".\n`);
  if (entry?.revoked) io.stderr.write(`Logged out of "${name}" first (the session was revoked at the provider).\n`);
  else if (entry?.revokeError) io.stderr.write(`Logged out of "${name}" first; revoking at the provider failed: ${terminalSafe(entry.revokeError)}\n`);
}

/** A change of issuer or client id: the old session can mint nothing for the new one. */
export function changesIdentity(before: Pick<Profile, 'issuer' | 'clientId'> | undefined, after: Pick<Profile, 'issuer' | 'clientId'>): boolean {
  return Boolean(before) && (before!.issuer !== after.issuer || before!.clientId !== after.clientId);
}

/** The default in effect: the configured one if it exists, else the only profile. */
export function effectiveDefault(cfg: EffectiveConfig): string | undefined {
  if (cfg.defaultProfile && cfg.profiles.has(cfg.defaultProfile)) return cfg.defaultProfile;
  if (cfg.profiles.size === 1) return [...cfg.profiles.keys()][0];
  return undefined;
}

/**
 * The `defaultProfile` to write when `name` is added: the first profile becomes the default;
 * an implicit default (the only profile so far) is written down, so the new one does not
 * make the choice ambiguous; an explicit one stays unless `makeDefault`.
 */
export function defaultAfterAdding(cfg: EffectiveConfig, name: string, makeDefault: boolean): string | undefined {
  if (makeDefault) return name;
  const others = [...cfg.profiles.keys()].filter((n) => n !== name);
  const current = effectiveDefault(cfg);
  if (current && current !== name) return current;
  if (!others.length) return name;
  return cfg.defaultProfile;
}
