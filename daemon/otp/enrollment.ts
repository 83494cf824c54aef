/**
 * Enrolling, listing and removing OTP methods. A method becomes active only once a first
 * code from it is confirmed (so a mistyped secret never locks the user out), and while
 * any method is enrolled, adding, replacing or removing one needs an OTP from an enrolled
 * method: otherwise any process of the user could swap in a secret of its own.
 */
import { randomBytes } from 'node:crypto';
import type {
  OtpEnrollRequest,
  OtpEnrollResponse,
  OtpMethodName,
  OtpRemoveRequest,
  OtpRemoveResponse,
  OtpStatusResponse,
} from '../../shared/api.js';
import { checkIssuerUrl } from '../../shared/config.js';
import { AuthctlError } from '../../shared/errors.js';
import type { Logger } from '../log.js';
import type { OtpGate } from './otp-gate.js';
import { enrolledMethods, type OtpRecord, type OtpStore } from './otp-store.js';
import { generateTotpSecret, totpUri } from './totp.js';
import { YUBICLOUD_URLS, type OtpVerifier, type PendingEnrolment } from './verifier.js';

export interface OtpEnrollmentDeps {
  gate: OtpGate;
  store: OtpStore;
  verifier: OtpVerifier;
  log: Logger;
  /** The label authenticator apps show, e.g. `alice@laptop`. */
  account: string;
  now?: () => number;
}

type Requester = { pid?: number; exe?: string };

const PENDING_TTL_MS = 10 * 60_000;
const CONFIRM_TRIES = 5;
const MAX_PENDING = 8;
const LABEL: Record<OtpMethodName, string> = { totp: 'TOTP', yubikey: 'YubiKey' };

export class OtpEnrollment {
  private readonly pending = new Map<string, { enrolment: PendingEnrolment; pid?: number; expiresAt: number; tries: number }>();
  private readonly now: () => number;

  constructor(private readonly deps: OtpEnrollmentDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Step 1: check the settings, ask for an OTP if a method exists, keep the new method pending. */
  async start(req: OtpEnrollRequest, requester: Requester): Promise<OtpEnrollResponse> {
    const enrolment = pendingFrom(req);
    const record = await this.deps.store.read();
    if (enrolledMethods(record).length) {
      await this.deps.gate.require({
        answer: req.otp,
        approval: { action: 'otp_enroll', method: req.method },
        reason: `enrolling a ${LABEL[req.method]} method changes what can approve privileged requests`,
        requester,
      });
    }
    const now = this.now();
    for (const [id, p] of this.pending) if (p.expiresAt <= now || this.pending.size >= MAX_PENDING) this.pending.delete(id);
    const enrollmentId = randomBytes(18).toString('base64url');
    const expiresAt = now + PENDING_TTL_MS;
    this.pending.set(enrollmentId, { enrolment, pid: requester.pid, expiresAt, tries: 0 });
    const out: OtpEnrollResponse = { status: 'pending', method: req.method, enrollmentId, expiresAt: Math.floor(expiresAt / 1000) };
    if (enrolment.method === 'totp') {
      out.secret = enrolment.secret;
      out.uri = totpUri({ secret: enrolment.secret, account: this.deps.account, issuer: 'authctl' });
    }
    return out;
  }

  /** Step 2: a first code from the new method activates it. */
  async confirm(req: OtpEnrollRequest, requester: Requester): Promise<OtpEnrollResponse> {
    const entry = this.pending.get(req.enrollmentId ?? '');
    if (!entry || entry.expiresAt <= this.now() || entry.enrolment.method !== req.method || entry.pid !== requester.pid) {
      throw new AuthctlError('otp_invalid', 'that enrolment has expired or is unknown: start again with `authctl otp enroll`');
    }
    const v = await this.deps.verifier.confirm(entry.enrolment, req.code ?? '');
    if (!v.ok) {
      if (v.counted) entry.tries++;
      const attemptsLeft = CONFIRM_TRIES - entry.tries;
      if (attemptsLeft <= 0) {
        this.pending.delete(req.enrollmentId!);
        throw new AuthctlError('otp_invalid', `${v.reason}; that was the last try: start again with \`authctl otp enroll\``, { attemptsLeft });
      }
      throw new AuthctlError('otp_invalid', v.reason, { attemptsLeft });
    }
    this.pending.delete(req.enrollmentId!);
    await this.deps.store.transaction(async (record) => ({ next: v.totp ? { ...record, totp: v.totp } : { ...record, yubikey: v.yubikey }, result: undefined }));
    this.deps.log.audit({ event: 'otp', outcome: 'enrolled', method: req.method, peerPid: requester.pid, peerExe: requester.exe });
    return { status: 'enrolled', method: req.method, ...(v.yubikey ? { publicId: v.yubikey.publicId } : {}) };
  }

  async remove(req: OtpRemoveRequest, requester: Requester): Promise<OtpRemoveResponse> {
    const enrolled = enrolledMethods(await this.deps.store.read());
    const targets = req.method ? [req.method] : enrolled;
    if (!targets.length || (req.method && !enrolled.includes(req.method))) {
      throw new AuthctlError('not_found', req.method ? `no ${LABEL[req.method]} method is enrolled` : 'no one-time password method is enrolled');
    }
    await this.deps.gate.require({
      answer: req.otp,
      approval: { action: 'otp_remove', ...(req.method ? { method: req.method } : {}) },
      reason: `removing ${req.method ? `the ${LABEL[req.method]} method` : 'every OTP method'} changes what can approve privileged requests`,
      requester,
    });
    await this.deps.store.transaction(async (record) => {
      const next: OtpRecord = { ...record };
      for (const m of targets) delete next[m];
      return { next, result: undefined };
    });
    this.deps.log.audit({ event: 'otp', outcome: 'removed', methods: targets, peerPid: requester.pid, peerExe: requester.exe });
    return { removed: targets };
  }

  async status(): Promise<OtpStatusResponse> {
    const { store, gate } = this.deps;
    const r = await store.read();
    const methods: OtpStatusResponse['methods'] = [];
    if (r.totp) methods.push({ method: 'totp', enrolledAt: r.totp.enrolledAt, lastUsedAt: r.totp.lastUsedAt });
    if (r.yubikey) {
      const { mode, publicId, enrolledAt, lastUsedAt } = r.yubikey;
      methods.push({ method: 'yubikey', mode, publicId, enrolledAt, lastUsedAt });
    }
    // Before the first OTP request since a start, the persisted lockout is the one in force.
    const lockedMs = gate.lockedForMs() || Math.max(0, (r.lockout?.lockedUntil ?? 0) - this.now());
    return {
      storage: store.backend,
      ...(store.warning ? { warning: store.warning } : {}),
      methods,
      ...(lockedMs > 0 ? { lockedUntil: Math.ceil((this.now() + lockedMs) / 1000) } : {}),
    };
  }
}

/** The settings of a new method, checked; messages never repeat a secret value. */
function pendingFrom(req: OtpEnrollRequest): PendingEnrolment {
  const bad = (m: string) => new AuthctlError('bad_request', m);
  if (req.method === 'totp') {
    if (req.aesKey || req.publicId || req.privateUid || req.clientId || req.apiKey || req.urls) throw bad('TOTP enrolment takes no YubiKey settings');
    return { method: 'totp', secret: generateTotpSecret() };
  }
  const offline = req.aesKey !== undefined || req.publicId !== undefined || req.privateUid !== undefined;
  const online = req.clientId !== undefined || req.apiKey !== undefined || req.urls !== undefined;
  if (offline === online) throw bad('a YubiKey is checked either offline (--aes-key and --public-id) or online (--client-id and --api-key), one of the two');
  if (offline) {
    if (!req.aesKey || !/^[0-9a-fA-F]{32}$/.test(req.aesKey)) throw bad('the AES key must be 32 hex characters (the 16-byte key programmed into the YubiKey slot)');
    if (!req.publicId || !/^(?:[cbdefghijklnrtuv]{2}){1,8}$/i.test(req.publicId)) throw bad('the public id must be 2 to 16 modhex characters (the first 12 characters of an OTP from the key)');
    if (req.privateUid !== undefined && !/^[0-9a-fA-F]{12}$/.test(req.privateUid)) throw bad('the private uid must be 12 hex characters');
    return { method: 'yubikey', mode: 'offline', aesKey: req.aesKey.toLowerCase(), publicId: req.publicId.toLowerCase(), privateUid: req.privateUid?.toLowerCase() };
  }
  if (!req.clientId || !/^[0-9]{1,12}$/.test(req.clientId)) throw bad('the client id must be the number Yubico issued with the API key');
  if (!req.apiKey || !/^[A-Za-z0-9+/]{4,}={0,2}$/.test(req.apiKey)) throw bad('the API key must be the base64 key Yubico issued with the client id');
  const urls = req.urls?.length ? req.urls : YUBICLOUD_URLS;
  for (const url of urls) {
    const problem = checkIssuerUrl(url);
    if (problem) throw bad(`validation URL ${problem}`);
  }
  return { method: 'yubikey', mode: 'online', clientId: req.clientId, apiKey: req.apiKey, urls };
}
