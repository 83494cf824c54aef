/** Puts the OTP parts together for the agent: store, challenges, verifier, gate, enrolment. */
import { hostname } from 'node:os';
import type { StorageBackendName } from '../../shared/api.js';
import type { Logger } from '../log.js';
import { ChallengeTable, type ChallengeTableOptions } from './challenges.js';
import { OtpEnrollment } from './enrollment.js';
import { OtpGate } from './otp-gate.js';
import { OtpStore } from './otp-store.js';
import { OtpVerifier } from './verifier.js';
import type { YubiCloudFetch } from './yubicloud.js';

export interface OtpService {
  gate: OtpGate;
  enrollment: OtpEnrollment;
}

export interface OtpServiceOptions {
  backend: StorageBackendName;
  keychainService: string;
  stateDir: string;
  log: Logger;
  fetch: YubiCloudFetch;
  /** Tests move time: challenges, lockouts and TOTP steps all follow this clock. */
  now?: () => number;
  challenges?: Omit<ChallengeTableOptions, 'now'>;
}

export function createOtpService(opts: OtpServiceOptions): OtpService {
  const now = opts.now ?? Date.now;
  const store = OtpStore.beside(opts.backend, { keychainService: opts.keychainService, stateDir: opts.stateDir });
  const verifier = new OtpVerifier({ now, fetch: opts.fetch });
  const gate = new OtpGate({ store, verifier, log: opts.log, challenges: new ChallengeTable({ ...opts.challenges, now }) });
  // Not os.userInfo(): it throws for a uid without a passwd entry (containers with arbitrary uids).
  const account = `${safeName(accountName())}@${safeName(hostname())}`;
  return { gate, enrollment: new OtpEnrollment({ gate, store, verifier, log: opts.log, account, now }) };
}

/** The user's name for the authenticator label: USER/LOGNAME, else the uid. */
function accountName(env: Record<string, string | undefined> = process.env): string {
  return env.USER || env.LOGNAME || `uid${process.getuid?.() ?? ''}`;
}

/** Authenticator apps split the label at ":". */
function safeName(s: string): string {
  return s.replace(/:/g, '-') || 'user';
}
