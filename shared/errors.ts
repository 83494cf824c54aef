/**
 * The one error type both sides share. A stable `code` travels over the agent API;
 * the daemon maps it to an HTTP status and the CLI maps it to an exit code (the table
 * in DESIGN.md). Messages are for people and must never contain a secret.
 */

export type ErrorCode =
  | 'bad_request'
  | 'usage'
  | 'unknown_profile'
  | 'not_found'
  | 'login_required'
  | 'otp_required'
  | 'otp_invalid'
  | 'otp_locked'
  | 'idp_unavailable'
  | 'idp_error'
  | 'agent_unavailable'
  | 'keychain_unavailable'
  | 'forbidden'
  | 'cancelled'
  | 'config_invalid'
  | 'ci_identity_missing'
  | 'federation_input_required'
  | 'forwarding_refused'
  | 'no_matching_profile'
  | 'internal';

const HTTP_STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  usage: 400,
  unknown_profile: 404,
  not_found: 404,
  login_required: 401,
  otp_required: 403,
  otp_invalid: 403,
  otp_locked: 429,
  idp_unavailable: 502,
  idp_error: 502,
  agent_unavailable: 503,
  keychain_unavailable: 503,
  forbidden: 403,
  cancelled: 499,
  config_invalid: 400,
  ci_identity_missing: 401,
  federation_input_required: 428,
  forwarding_refused: 403,
  no_matching_profile: 404,
  internal: 500,
};

/** Exit codes, the same for every command (DESIGN.md, "The CLI contract"). */
export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  loginRequired: 3,
  otp: 4,
  idp: 5,
  agent: 6,
  keychain: 7,
} as const;

const EXIT_CODE: Record<ErrorCode, number> = {
  bad_request: EXIT.usage,
  usage: EXIT.usage,
  unknown_profile: EXIT.usage,
  not_found: EXIT.usage,
  config_invalid: EXIT.usage,
  login_required: EXIT.loginRequired,
  // A CI job without an identity token has no credential, like a profile without a login.
  ci_identity_missing: EXIT.loginRequired,
  // Answered by every authctl client itself; only a client that ignores it sees it.
  federation_input_required: EXIT.usage,
  // Asked of the agent from a remote host where its forwarding policy does not allow it: run it on the laptop.
  forwarding_refused: EXIT.usage,
  // A `registry` no profile lists (or one a token must not cross to): docker's helper says so
  // in docker's own words (exit 1); any other caller asked for something the config does not name.
  no_matching_profile: EXIT.usage,
  otp_required: EXIT.otp,
  otp_invalid: EXIT.otp,
  otp_locked: EXIT.otp,
  idp_unavailable: EXIT.idp,
  idp_error: EXIT.idp,
  agent_unavailable: EXIT.agent,
  keychain_unavailable: EXIT.keychain,
  forbidden: EXIT.unexpected,
  cancelled: EXIT.unexpected,
  internal: EXIT.unexpected,
};

export interface ErrorBody {
  error: ErrorCode;
  message: string;
  /** The provider's own error code, for idp_error. */
  idpError?: string;
  [extra: string]: unknown;
}

export class AuthctlError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'AuthctlError';
    this.code = code;
    this.details = details;
  }

  toBody(): ErrorBody {
    return { ...this.details, error: this.code, message: this.message };
  }

  static fromBody(body: unknown): AuthctlError {
    if (body && typeof body === 'object' && 'error' in body && typeof body.error === 'string') {
      const { error, message, ...rest } = body as ErrorBody;
      const code = error in HTTP_STATUS ? error : 'internal';
      return new AuthctlError(code, typeof message === 'string' ? message : error, rest);
    }
    return new AuthctlError('internal', 'the agent sent an answer that is not an authctl error');
  }
}

export function httpStatusFor(code: ErrorCode): number {
  return HTTP_STATUS[code] ?? 500;
}

export function exitCodeFor(code: ErrorCode): number {
  return EXIT_CODE[code] ?? EXIT.unexpected;
}

export function isAuthctlError(e: unknown): e is AuthctlError {
  return e instanceof AuthctlError;
}

/**
 * The next step for an error that stops a command, when its message does not already name
 * a command to run: the provider → `authctl doctor`; the agent → its log; the keychain →
 * where sessions are. `agentLog` is where the agent writes (a file path, or the journal).
 */
export function nextStepFor(code: ErrorCode, message: string, agentLog: string): string | undefined {
  const namesCommand = /`authctl [a-z]/.test(message);
  switch (code) {
    case 'idp_unavailable':
    case 'idp_error':
      return namesCommand ? undefined : 'Check the network and the provider with `authctl doctor`.';
    case 'agent_unavailable':
      return message.includes(agentLog) ? undefined : `The agent's log may say why: ${agentLog} (\`authctl logs\`).`;
    case 'keychain_unavailable':
      return namesCommand ? undefined : '`authctl doctor` checks the keychain; `authctl status` shows where each session is.';
    case 'config_invalid':
      return namesCommand ? undefined : 'Fix the file named above; `authctl doctor` checks the whole setup.';
    case 'unknown_profile':
      return namesCommand ? undefined : '`authctl profile list` shows the profiles.';
    case 'login_required':
      return namesCommand ? undefined : 'Log in with `authctl login`.';
    case 'internal':
    case 'forbidden':
      return namesCommand || /`(kill|ps|systemctl|chmod) /.test(message) ? undefined : `Run it again with AUTHCTL_DEBUG=1 for details; the agent's log: ${agentLog}.`;
    default:
      return undefined;
  }
}
