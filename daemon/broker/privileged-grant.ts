/**
 * `privileged.separateGrant`: the privileged scopes are never part of the persisted login
 * grant, so a process that reads the refresh token from the keychain cannot mint them at
 * the provider. `authctl login --profile P --privileged` runs a second device login for
 * just those scopes, with a fresh sign-in asked for (`prompt=login`, and the profile's
 * `max_age` / `acr_values`, RFC 9470 step-up), and its refresh token lives only in agent
 * memory for at most `privileged.sessionSeconds`. A privileged token (after its OTP) is a
 * narrowed refresh of that grant.
 *
 * `privileged.requireEnrolment`: no grant carrying the privileged scopes is obtained while
 * no OTP method is enrolled.
 */
import { decodeJwt } from 'jose';
import { DEFAULT_PRIVILEGED_SESSION_SECONDS, type ResolvedProfile } from '../../shared/config.js';
import type { LoginEvent } from '../../shared/api.js';
import { AuthctlError } from '../../shared/errors.js';
import type { Logger, Redactor } from '../log.js';
import { idpFailure, isInvalidGrant, isTransient } from '../oauth/errors.js';
import type { OAuthEngine, TokenParams, TokenSet } from '../oauth/oauth-engine.js';
import { withRetries } from '../oauth/retry.js';
import type { OtpService } from '../otp/otp-service.js';
import { KeyedMutex } from './keyed-mutex.js';
import { runDeviceFlow } from '../login/device-flow.js';

interface PrivilegedSession {
  refreshToken: string;
  issuer: string;
  clientId: string;
  scopes: string[];
  subject?: string;
  /** Unix ms: the end of the session, whatever the refresh token's own lifetime. */
  expiresAt: number;
}

export interface PrivilegedGrantDeps {
  oauth: OAuthEngine;
  log: Logger;
  redactor: Redactor;
  otp?: OtpService;
  now: () => number;
}

/** The command that gets the privileged grant. */
export function privilegedLoginCommand(profile: string): string {
  return `authctl login --profile ${profile} --privileged`;
}

/**
 * The scopes a normal login asks for: with `separateGrant`, never a privileged one (a
 * `--scope` naming one is refused, with the command that gets it).
 */
export function ordinaryLoginScopes(profile: ResolvedProfile, requested: string[] | undefined): string[] | undefined {
  const policy = profile.privileged;
  const scopes = requested ?? profile.scopes;
  if (!policy?.separateGrant || !scopes) return scopes;
  const privileged = new Set(policy.scopes ?? []);
  if (requested?.some((s) => privileged.has(s))) {
    throw new AuthctlError(
      'usage',
      `profile "${profile.name}" keeps its privileged scopes out of the login grant: log in without them, then run \`${privilegedLoginCommand(profile.name)}\` when you need them`,
    );
  }
  return scopes.filter((s) => !privileged.has(s));
}

/**
 * `requireEnrolment`: refuses a login that would bring privileged scopes into a grant while
 * no OTP method is enrolled (exit 4, with the command to enrol).
 */
export async function checkEnrolmentBeforeGrant(profile: ResolvedProfile, scopes: string[] | undefined, otp: OtpService | undefined, privilegedLogin = false): Promise<void> {
  const policy = profile.privileged;
  if (!policy?.requireEnrolment) return;
  const privileged = new Set(policy.scopes ?? []);
  if (!privilegedLogin && !(scopes ?? []).some((s) => privileged.has(s))) return;
  const enrolled = otp ? (await otp.enrollment.status()).methods.length : 0;
  if (enrolled) return;
  throw new AuthctlError(
    'otp_required',
    `profile "${profile.name}" needs an enrolled one-time password method before its privileged scopes are granted: run \`authctl otp enroll --totp\` in a terminal, then log in again`,
  );
}

export class PrivilegedGrants {
  private readonly sessions = new Map<string, PrivilegedSession>();
  private readonly lock = new KeyedMutex();

  constructor(private readonly deps: PrivilegedGrantDeps) {}

  /** Until when (unix ms) the profile's privileged session lasts; undefined without one. */
  expiresAt(profile: ResolvedProfile): number | undefined {
    return this.current(profile)?.expiresAt;
  }

  /** The login-required error a privileged request gets without the second login. */
  missing(profile: ResolvedProfile): AuthctlError {
    return new AuthctlError(
      'login_required',
      `privileged tokens of profile "${profile.name}" come from a separate, shorter sign-in, and there is none now: run \`${privilegedLoginCommand(profile.name)}\``,
      { profile: profile.name },
    );
  }

  /** Throws `missing` unless the profile has a live privileged session. */
  require(profile: ResolvedProfile): void {
    if (!this.current(profile)) throw this.missing(profile);
  }

  /**
   * RFC 8628 device flow for the privileged scopes only, asking for a fresh sign-in
   * (OpenID Connect Core §3.1.2.1 `prompt=login`, `max_age`; RFC 9470 `acr_values`). The
   * refresh token is kept in memory; the access token is dropped (it would be a
   * privileged token handed out without an OTP).
   */
  async login(profile: ResolvedProfile, emit: (e: LoginEvent) => void, signal: AbortSignal): Promise<void> {
    const policy = profile.privileged;
    if (!policy?.separateGrant || !policy.scopes?.length) {
      throw new AuthctlError(
        'usage',
        `profile "${profile.name}" has no separate privileged grant (its policy does not set "separateGrant" with privileged "scopes"): run \`authctl login --profile ${profile.name}\``,
      );
    }
    await checkEnrolmentBeforeGrant(profile, policy.scopes, this.deps.otp, true);
    const { oauth, now } = this.deps;
    const params: TokenParams = { scopes: privilegedLoginScopes(profile), audience: profile.audience, resource: profile.resource };
    const extraParams: Record<string, string> = { ...profile.extraParams, prompt: 'login' };
    if (policy.maxAge !== undefined) extraParams.max_age = String(policy.maxAge);
    if (policy.acrValues) extraParams.acr_values = policy.acrValues;
    const { set } = await runDeviceFlow({ oauth, redactor: this.deps.redactor, now }, { profile, params, extraParams }, emit, signal);
    this.deps.redactor.add(set.accessToken);
    this.deps.redactor.add(set.refreshToken);
    if (!set.refreshToken) {
      throw new AuthctlError('idp_error', `the provider issued no refresh token for the privileged sign-in of profile "${profile.name}": check that the client may use "offline_access"`);
    }
    const seconds = Math.min(policy.sessionSeconds ?? DEFAULT_PRIVILEGED_SESSION_SECONDS, set.refreshExpiresIn ?? Infinity);
    const session: PrivilegedSession = {
      refreshToken: set.refreshToken,
      issuer: profile.issuer,
      clientId: profile.clientId,
      scopes: set.scopes ?? params.scopes ?? [],
      subject: set.subject ?? subjectOf(set.accessToken),
      expiresAt: now() + seconds * 1000,
    };
    await this.lock.run(profile.name, async () => {
      const old = this.sessions.get(profile.name);
      this.sessions.set(profile.name, session);
      if (old) await this.revoke(profile, old);
    });
    this.deps.log.info('privileged sign-in kept in memory', { profile: profile.name, subject: session.subject, seconds });
    emit({
      event: 'success',
      profile: profile.name,
      subject: session.subject,
      storage: 'memory',
      privilegedUntil: Math.floor(session.expiresAt / 1000),
    });
  }

  /** RFC 6749 §6: a narrowed refresh of the in-memory privileged grant (one at a time per profile). */
  refresh(profile: ResolvedProfile, params: TokenParams): Promise<TokenSet> {
    return this.lock.run(profile.name, async () => {
      const session = this.current(profile);
      if (!session) throw this.missing(profile);
      const { oauth } = this.deps;
      let set: TokenSet;
      try {
        set = await withRetries(
          async () => oauth.refresh(await oauth.configFor(profile), session.refreshToken, params),
          (e) => isTransient(e, profile.issuer),
        );
      } catch (e) {
        if (isInvalidGrant(e)) {
          this.sessions.delete(profile.name);
          this.deps.log.warn('the provider ended the privileged session', { profile: profile.name });
          throw this.missing(profile);
        }
        throw idpFailure(e, profile.issuer);
      }
      this.deps.redactor.add(set.accessToken);
      this.deps.redactor.add(set.refreshToken);
      if (set.refreshToken) session.refreshToken = set.refreshToken;
      return set;
    });
  }

  /** Logout: revoke (RFC 7009) where possible, and forget. */
  async drop(profile: ResolvedProfile): Promise<void> {
    await this.lock.run(profile.name, async () => {
      const old = this.sessions.get(profile.name);
      this.sessions.delete(profile.name);
      if (old) await this.revoke(profile, old);
    });
  }

  private current(profile: ResolvedProfile): PrivilegedSession | undefined {
    const s = this.sessions.get(profile.name);
    if (!s) return undefined;
    // A profile that now names another issuer or client, or a session past its time, is gone.
    if (s.expiresAt <= this.deps.now() || s.issuer !== profile.issuer || s.clientId !== profile.clientId || !profile.privileged?.separateGrant) {
      this.sessions.delete(profile.name);
      return undefined;
    }
    return s;
  }

  private async revoke(profile: ResolvedProfile, s: PrivilegedSession): Promise<void> {
    try {
      await this.deps.oauth.revoke(await this.deps.oauth.configFor(profile), s.refreshToken);
    } catch (e) {
      this.deps.log.warn('could not revoke the previous privileged refresh token', { profile: profile.name, reason: (e as Error).message });
    }
  }
}

/** The privileged scopes, plus what it takes to get a refresh token and a subject. */
function privilegedLoginScopes(profile: ResolvedProfile): string[] {
  const out = new Set(profile.privileged?.scopes ?? []);
  out.add('offline_access');
  if (profile.scopes.includes('openid')) out.add('openid');
  return [...out].sort();
}

function subjectOf(token: string): string | undefined {
  try {
    return decodeJwt(token).sub;
  } catch {
    return undefined;
  }
}
