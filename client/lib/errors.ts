/**
 * Typed errors for library callers: one class per exit-code family of the CLI (DESIGN.md),
 * so `catch (e) { if (e instanceof LoginRequiredError) ... }` reads like the CLI's exit
 * codes. The family is derived from shared/errors.ts, where code → exit code lives.
 */
import { AuthctlError, EXIT, exitCodeFor, type ErrorCode } from '../../shared/errors.js';

export { AuthctlError };
export type { ErrorCode };

/** Every error the library throws; `code` is the agent's stable code, `exitCode` the CLI's. */
export class AuthctlClientError extends AuthctlError {
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
    this.name = new.target.name;
  }

  get exitCode(): number {
    return exitCodeFor(this.code);
  }
}

/** Exit 2: a bad request, an unknown profile, a broken config. */
export class UsageError extends AuthctlClientError {}
/** Exit 3: no session, or the refresh token was rejected: run `authctl login`. */
export class LoginRequiredError extends AuthctlClientError {}
/** Exit 4: a privileged request needs a one-time password (or it was wrong, or locked out). */
export class OtpError extends AuthctlClientError {}
/** Exit 5: the identity provider is unreachable or answered with an error. */
export class IdpError extends AuthctlClientError {}
/** Exit 6: no agent answers and none could be started. */
export class AgentUnavailableError extends AuthctlClientError {}
/** Exit 7: the keychain is unavailable or locked. */
export class KeychainUnavailableError extends AuthctlClientError {}

const BY_EXIT: Record<number, typeof AuthctlClientError> = {
  [EXIT.usage]: UsageError,
  [EXIT.loginRequired]: LoginRequiredError,
  [EXIT.otp]: OtpError,
  [EXIT.idp]: IdpError,
  [EXIT.agent]: AgentUnavailableError,
  [EXIT.keychain]: KeychainUnavailableError,
};

/** The typed form of any error from the agent client. */
export function toTypedError(e: unknown): AuthctlClientError {
  if (e instanceof AuthctlClientError) return e;
  const base = e instanceof AuthctlError ? e : new AuthctlError('internal', (e as Error)?.message ?? String(e));
  const Kind = BY_EXIT[exitCodeFor(base.code)] ?? AuthctlClientError;
  return new Kind(base.code, base.message, base.details);
}
