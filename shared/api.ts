/**
 * The agent API (v1) as types: HTTP/1.1 + JSON over the agent socket.
 * Both the daemon and the client import these; change this file first.
 */
import type { ErrorCode } from './errors.js';

export const API_VERSION = 'v1';

export interface TokenRequest {
  profile?: string;
  scopes?: string[];
  audience?: string;
  resource?: string;
  minValidSeconds?: number;
  privileged?: boolean;
  otp?: { challengeId: string; code: string };
}

export interface TokenResponse {
  accessToken: string;
  tokenType: string;
  /** Unix seconds. */
  expiresAt: number;
  scopes: string[];
  profile: string;
  /** Set when the provider's fresh token is shorter-lived than minValidSeconds. */
  warning?: string;
}

export interface OtpChallenge {
  id: string;
  expiresAt: number;
  reason: string;
  methods: string[];
  requester?: { pid?: number; exe?: string };
}

export interface LoginRequest {
  profile?: string;
  scopes?: string[];
  audience?: string;
}

export type LoginEvent =
  | {
      event: 'verification';
      userCode: string;
      verificationUri: string;
      verificationUriComplete?: string;
      /** Unix seconds. */
      expiresAt: number;
      profile: string;
      storageWarning?: string;
    }
  | { event: 'waiting'; interval: number }
  | { event: 'success'; profile: string; subject?: string; storage: StorageBackendName; storageWarning?: string }
  | { event: 'error'; error: ErrorCode; message: string };

export interface LogoutRequest {
  profile?: string;
  all?: boolean;
}

export interface LogoutResponse {
  profiles: Array<{ profile: string; revoked: boolean; revokeError?: string; deleted: boolean }>;
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
  subject?: string;
  hasRefreshToken: boolean;
  /** Set when a rotated refresh token could not be written yet and lives only in memory. */
  pendingWrite?: boolean;
  refreshTokenExpiresAt?: number;
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
  defaultProfile?: string;
  profiles: ProfileStatus[];
  configErrors?: string[];
}
