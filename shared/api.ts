/**
 * The agent API (v1) as types: HTTP/1.1 + JSON over the agent socket.
 * Both the daemon and the client import these; change this file first.
 */
import type { ErrorCode } from './errors.js';
import type { FederationInput } from './federation.js';

export const API_VERSION = 'v1';

export interface TokenRequest {
  profile?: string;
  /** Already split: each one RFC 6749 scope token, no commas (else 400); sent in this order. */
  scopes?: string[];
  audience?: string;
  resource?: string;
  minValidSeconds?: number;
  privileged?: boolean;
  otp?: OtpAnswer;
  /** Federation profiles: the CI job's values, sent when the agent answers federation_input_required. */
  federation?: FederationInput;
  /** `--verbose`: send back the agent's steps for this request (`steps`, also on an error). */
  verbose?: boolean;
  /**
   * Instead of `profile`: docker's server URL as the credential helper reads it on stdin. The
   * agent picks the profile as `docker-credential get` does (shared/registry.ts) and adds
   * `registryUsername` to the answer; none listing it, or plain http to a host that is not
   * this machine, is a 404 `no_matching_profile` (the native client then hands over to Node).
   */
  registry?: string;
  /**
   * Instead of `profile`: git's request as the credential helper reads it. The agent picks the
   * profile by the config's `match` rules (shared/git-match.ts) and adds `gitAuthType` and, when
   * the profile sets one, `gitUsername`; no rule fitting, or plain http to a host that is not
   * this machine, is a 404 `no_matching_profile`.
   */
  gitRequest?: GitRequest;
}

/** git-credential(1)'s protocol, host (with its port) and, with credential.useHttpPath, path. */
export interface GitRequest {
  protocol: string;
  host: string;
  path?: string;
}

export interface TokenResponse {
  accessToken: string;
  tokenType: string;
  /** Unix seconds. */
  expiresAt: number;
  scopes: string[];
  profile: string;
  /**
   * For people, each said once: the provider's fresh token is shorter-lived than
   * minValidSeconds (it is then refreshed when half its lifetime is left, not per request),
   * the provider granted more scopes than asked for (RFC 6749 §3.3), or its clock is more
   * than 30 s off ours. Also set when the provider is unreachable and a cached token that
   * has not expired is handed out.
   */
  warning?: string;
  /** Only when the request asked (`verbose`): the agent's steps, for people; never a secret. */
  steps?: string[];
  /** Only for a `registry` request: the username docker sends with the token. */
  registryUsername?: string;
  /** Only for a `gitRequest`: the profile's `gitUsername`, when it sets one. */
  gitUsername?: string;
  /** Only for a `gitRequest`: how git should send the token (the profile's, else basic). */
  gitAuthType?: 'basic' | 'bearer';
}

export type OtpMethodName = 'totp' | 'yubikey';

/** The answer to a challenge, sent with the retried request. */
export interface OtpAnswer {
  challengeId: string;
  code: string;
}

/** What a one-time password approves; the prompt shows it. */
export interface OtpApproval {
  action: 'token' | 'otp_enroll' | 'otp_remove';
  profile?: string;
  scopes?: string[];
  audience?: string;
  resource?: string;
  method?: OtpMethodName;
}

export interface OtpRequester {
  pid?: number;
  exe?: string;
  /** The requester's parent (e.g. the shell or git that ran `authctl token`), when known. */
  parent?: { pid: number; exe?: string };
}

/**
 * Sent with `403 otp_required` (as `challenge`) and with `403 otp_invalid` while attempts
 * are left. Single-use; it expires.
 */
export interface OtpChallenge {
  id: string;
  /** Unix seconds. */
  expiresAt: number;
  reason: string;
  methods: OtpMethodName[];
  attemptsLeft: number;
  approves: OtpApproval;
  requester?: OtpRequester;
}

/**
 * POST /v1/otp/enroll. Two steps: `{ method, ...settings, otp? }` starts (an answer to a
 * challenge is needed when a method is already enrolled), then `{ method, enrollmentId,
 * code }` confirms with a first code from the new method, which activates it.
 */
export interface OtpEnrollRequest {
  method: OtpMethodName;
  otp?: OtpAnswer;
  enrollmentId?: string;
  code?: string;
  /** YubiKey, offline: the slot's AES-128 key (32 hex) and public id (modhex). */
  aesKey?: string;
  publicId?: string;
  /** YubiKey, offline: the slot's private uid (12 hex); learnt from the first OTP if absent. */
  privateUid?: string;
  /** YubiKey, online (validation protocol 2.0): client id, API key (base64), validation URLs. */
  clientId?: string;
  apiKey?: string;
  urls?: string[];
}

export type OtpEnrollResponse =
  | {
      status: 'pending';
      method: OtpMethodName;
      enrollmentId: string;
      /** Unix seconds. */
      expiresAt: number;
      /** TOTP only: the new secret (base32) and its otpauth:// URI, shown once. */
      secret?: string;
      uri?: string;
      /**
       * The first method (no OTP approved it): the confirming code must come from the same
       * terminal session, typed on /dev/tty, never from askpass.
       */
      first?: boolean;
    }
  | { status: 'enrolled'; method: OtpMethodName; publicId?: string };

export interface OtpMethodStatus {
  method: OtpMethodName;
  /** YubiKey: validated offline (AES key here) or online (YubiCloud protocol). */
  mode?: 'offline' | 'online';
  publicId?: string;
  /** Unix seconds. */
  enrolledAt: number;
  lastUsedAt?: number;
}

/** GET /v1/otp/status: never a secret. */
export interface OtpStatusResponse {
  storage: StorageBackendName;
  warning?: string;
  methods: OtpMethodStatus[];
  /** Unix seconds, while wrong codes have locked OTP answers out. */
  lockedUntil?: number;
}

/** POST /v1/otp/remove: one method, or every one when `method` is absent; needs an OTP. */
export interface OtpRemoveRequest {
  method?: OtpMethodName;
  otp?: OtpAnswer;
}

export interface OtpRemoveResponse {
  removed: OtpMethodName[];
}

export interface LoginRequest {
  profile?: string;
  scopes?: string[];
  audience?: string;
  /**
   * The second, privileged login of a profile whose policy sets `separateGrant`: just the
   * privileged scopes, a fresh sign-in, the refresh token kept in agent memory only.
   */
  privileged?: boolean;
  /** `--flow`; default auto (shared/login-flow.ts decides). */
  flow?: 'auto' | 'browser' | 'device';
  /** The CLI can open a browser on the user's display (its environment, not the agent's). */
  canOpenBrowser?: boolean;
  /** Why it cannot (SSH session, no display, --no-browser): said when device flow is chosen. */
  noBrowserReason?: string;
  /** `--verbose`: the agent's steps (provider calls, retries) come as `step` events. */
  verbose?: boolean;
}

export type LoginEvent =
  /** First: which flow the agent chose, and why (`--json` reports it). */
  | { event: 'flow'; flow: 'browser' | 'device'; reason: string }
  /**
   * The browser flow (RFC 8252): the CLI opens `url` (and prints it). The PKCE verifier and
   * `state` never leave the agent; `url` carries only the S256 challenge.
   */
  | {
      event: 'authorize';
      profile: string;
      issuer: string;
      url: string;
      /** The agent's loopback listener; it closes after one good callback or at `expiresAt`. */
      redirectUri: string;
      /** Unix seconds: when the agent stops waiting for the browser. */
      expiresAt: number;
      storageWarning?: string;
    }
  /** The browser flow cannot finish; with `--flow auto` device flow follows in the same stream. */
  | { event: 'fallback'; from: 'browser'; to: 'device'; reason: string }
  | {
      event: 'verification';
      /** The client the code is for (its id; the provider's name for it is not known to us). */
      clientId?: string;
      userCode: string;
      verificationUri: string;
      verificationUriComplete?: string;
      /** Unix seconds. */
      expiresAt: number;
      profile: string;
      /** The issuer the code belongs to: the CLI opens plain-http pages only for a provider on this machine. */
      issuer?: string;
      storageWarning?: string;
    }
  | { event: 'waiting'; interval: number }
  | {
      event: 'success';
      profile: string;
      subject?: string;
      /** `memory` for a privileged login (`separateGrant`): its refresh token is never stored. */
      storage: StorageBackendName | 'memory';
      storageWarning?: string;
      /** A privileged login: unix seconds until its in-memory session ends. */
      privilegedUntil?: number;
      /** e.g. the provider's clock is far from ours (said once). */
      warning?: string;
      /** False when the provider gave no refresh token: the session cannot renew itself. */
      refreshToken?: boolean;
      /** Unix seconds when a new login will be needed, when known. */
      sessionEndsAt?: number;
      /** For people: why the session cannot renew itself, and when it ends. */
      sessionNote?: string;
    }
  | { event: 'error'; error: ErrorCode; message: string }
  /** Only with `verbose`: one step of the agent's, for people; never a secret. */
  | { event: 'step'; message: string };

export interface LogoutRequest {
  profile?: string;
  all?: boolean;
}

export interface LogoutResponse {
  profiles: Array<{
    profile: string;
    revoked: boolean;
    revokeError?: string;
    deleted: boolean;
    /** A login waiting for approval was cancelled. */
    cancelledLogin?: boolean;
    /** The session was stored under a profile the config no longer has. */
    orphaned?: boolean;
    /** Why this profile could not be logged out (the others still were). */
    error?: string;
    errorCode?: ErrorCode;
  }>;
}

export interface InvalidateRequest {
  profile?: string;
}

export type StorageBackendName = 'keychain' | 'file';

export interface CachedTokenInfo {
  key: string;
  scopes: string[];
  audience?: string;
  resource?: string;
  expiresAt: number;
}

export type ProfileState = 'logged_in' | 'login_required' | 'logged_out' | 'unknown';

export interface ProfileStatus {
  name: string;
  issuer: string;
  clientId: string;
  source: 'user' | 'system';
  state: ProfileState;
  /** A CI profile (federation): it never logs in. */
  federation?: boolean;
  subject?: string;
  hasRefreshToken: boolean;
  /** Set when a rotated refresh token could not be written yet and lives only in memory. */
  pendingWrite?: boolean;
  refreshTokenExpiresAt?: number;
  /** Set while the provider's clock is more than 30 s from the agent's (from its Date header). */
  clockWarning?: string;
  /** Where the session is kept. */
  storedIn?: StorageBackendName;
  /** False when the session is in a store this agent cannot reach (the keychain, from a shell without D-Bus). */
  storeReachable?: boolean;
  /** Unix seconds when a new login will be needed, when known (no refresh token, or its expiry). */
  sessionEndsAt?: number;
  /** For people: why the session cannot renew itself, and when it ends. */
  sessionNote?: string;
  /** `separateGrant` profiles: until when (unix seconds) the in-memory privileged session lasts. */
  privilegedSessionExpiresAt?: number;
  cachedTokens: CachedTokenInfo[];
  error?: string;
}

export interface StatusResponse {
  version: string;
  pid: number;
  uptimeSeconds: number;
  socket: string;
  storage: { backend: StorageBackendName; warning?: string; error?: string };
  peerCheck: 'available' | 'unavailable';
  /** Why the peer check is off (the native addon did not load), when it is. */
  peerCheckProblem?: string;
  /** How the agent reaches providers: proxies (credentials masked), extra CAs, TLS checks. */
  network?: AgentNetworkStatus;
  /** Where the agent writes its log (`authctl logs` reads the file). */
  log?: { kind: 'file'; path: string } | { kind: 'journal' | 'stderr' | 'silent' };
  defaultProfile?: string;
  profiles: ProfileStatus[];
  configErrors?: string[];
  /** The agent's forwarding socket (the local end of `authctl ssh`), on the main socket only. */
  forwardingSocket?: string;
  /** Set when this answer came through the forwarding socket: the ssh destination it came through. */
  forwarded?: { destination: string };
  /** Profiles the config names but that are broken: each is named with its problem; the others work. */
  brokenProfiles?: Array<{ name: string; error: string }>;
}

export interface AgentNetworkStatus {
  /** Always true: no variable turns certificate checks off. */
  tlsVerify: true;
  /** Where the proxy settings come from: the config's `network.proxy`, the agent's environment, or none. */
  proxySource: 'config' | 'environment' | 'none';
  httpsProxy?: string;
  httpProxy?: string;
  noProxy?: string;
  caFiles: Array<{ file: string; source: 'config' | 'environment' }>;
}

/** GET /v1/diagnostics: checks `authctl doctor` shows, made with the agent's own transport. */
export interface DiagnosticsResponse {
  /** Unix seconds, by the agent's clock. */
  checkedAt: number;
  profiles: ProfileDiagnostics[];
}

export interface ProfileDiagnostics {
  profile: string;
  issuer: string;
  /** The provider answered HTTP (any status) through the agent's proxy and CA settings. */
  reachable: boolean;
  /** The provider's clock (its HTTP Date header) minus the agent's, in seconds. */
  skewSeconds?: number;
  /** Set when the clocks are more than 30 s apart. */
  skewWarning?: string;
  /** Why the provider could not be reached (host and reason). */
  error?: string;
  /** Reachable, but not usable: a wrong status, not the issuer's document, no device flow. */
  problem?: string;
}
