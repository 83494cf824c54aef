/**
 * Enrolling, listing and removing OTP methods. A method becomes active only once a first
 * code from it is confirmed (so a mistyped secret never locks the user out), and while
 * any method is enrolled, adding or removing one needs an OTP from an enrolled method:
 * otherwise any process of the user could swap in a secret of its own. An enrolled method
 * is never replaced (remove it first), and the confirmation re-checks all of this inside
 * the store transaction, so an enrolment started before another one finished cannot land
 * over it.
 *
 * The first enrolment is trust on first use: whoever enrols first holds the gate. So it
 * must be started and confirmed from a process with a controlling terminal, the same
 * terminal session both times (the CLI reads the code from /dev/tty, never from askpass),
 * and the audit log records who enrolled.
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
import { peerTerminal, sameTerminalSession, type TerminalSession } from '../peer-terminal.js';
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

type Requester = { pid?: number; exe?: string; uid?: number };

interface PendingEntry {
  enrolment: PendingEnrolment;
  pid?: number;
  expiresAt: number;
  tries: number;
  /** Set for a first enrolment (no OTP approved it): the terminal session it was started from. */
  firstFrom?: TerminalSession;
}

const PENDING_TTL_MS = 10 * 60_000;
const CONFIRM_TRIES = 5;
const MAX_PENDING = 8;
const LABEL: Record<OtpMethodName, string> = { totp: 'TOTP', yubikey: 'YubiKey' };

export class OtpEnrollment {
  private readonly pending = new Map<string, PendingEntry>();
  private readonly now: () => number;

  constructor(private readonly deps: OtpEnrollmentDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Step 1: check the settings, ask for an OTP if a method exists, keep the new method pending. */
  async start(req: OtpEnrollRequest, requester: Requester): Promise<OtpEnrollResponse> {
    const enrolment = pendingFrom(req);
    const enrolled = enrolledMethods(await this.deps.store.read());
    if (enrolled.includes(req.method)) throw alreadyEnrolled(req.method);
    let firstFrom: TerminalSession | undefined;
    if (enrolled.length) {
      await this.deps.gate.require({
        answer: req.otp,
        approval: { action: 'otp_enroll', method: req.method },
        reason: `enrolling a ${LABEL[req.method]} method changes what can approve privileged requests`,
        requester,
      });
    } else {
      firstFrom = this.terminalFor('start', requester);
    }
    const now = this.now();
    for (const [id, p] of this.pending) if (p.expiresAt <= now || this.pending.size >= MAX_PENDING) this.pending.delete(id);
    const enrollmentId = randomBytes(18).toString('base64url');
    const expiresAt = now + PENDING_TTL_MS;
    this.pending.set(enrollmentId, { enrolment, pid: requester.pid, expiresAt, tries: 0, firstFrom });
    const out: OtpEnrollResponse = { status: 'pending', method: req.method, enrollmentId, expiresAt: Math.floor(expiresAt / 1000), ...(firstFrom ? { first: true } : {}) };
    if (enrolment.method === 'totp') {
      out.secret = enrolment.secret;
      out.uri = totpUri({ secret: enrolment.secret, account: this.deps.account, issuer: 'authctl' });
    }
    return out;
  }

  /** Step 2: a first code from the new method activates it, unless the enrolled methods changed meanwhile. */
  async confirm(req: OtpEnrollRequest, requester: Requester): Promise<OtpEnrollResponse> {
    const entry = this.pending.get(req.enrollmentId ?? '');
    if (!entry || entry.expiresAt <= this.now() || entry.enrolment.method !== req.method || entry.pid !== requester.pid) {
      throw new AuthctlError('otp_invalid', 'that enrolment has expired or is unknown: start again with `authctl otp enroll`');
    }
    if (entry.firstFrom && !sameTerminalAsStart(entry.firstFrom, this.terminalFor('confirm', requester))) {
      this.pending.delete(req.enrollmentId!);
      throw new AuthctlError('otp_required', 'a first enrolment is confirmed on the terminal it was started from: run `authctl otp enroll` again in one terminal');
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
    // The check at start is stale by now: another enrolment may have finished in between.
    const conflict = await this.deps.store.transaction<AuthctlError | undefined>(async (record) => {
      const now = enrolledMethods(record);
      if (entry.firstFrom && now.length) {
        return {
          result: new AuthctlError(
            'otp_required',
            `another enrolment (${now.map((m) => LABEL[m]).join(', ')}) finished first, and enrolling now needs an OTP from it: run \`authctl otp enroll\` again`,
          ),
        };
      }
      if (now.includes(req.method)) return { result: alreadyEnrolled(req.method) };
      return { next: v.totp ? { ...record, totp: v.totp } : { ...record, yubikey: v.yubikey }, result: undefined };
    });
    const who = { peerPid: requester.pid, peerExe: requester.exe, peerUid: requester.uid, ...(entry.firstFrom ? { tty: entry.firstFrom.name, session: entry.firstFrom.sid } : {}) };
    if (conflict) {
      this.deps.log.audit({ event: 'otp', outcome: 'enrol_refused', method: req.method, why: 'enrolled methods changed', ...who });
      throw conflict;
    }
    this.deps.log.audit({ event: 'otp', outcome: 'enrolled', method: req.method, approvedBy: entry.firstFrom ? 'first use, from a terminal' : 'otp', ...who });
    return { status: 'enrolled', method: req.method, ...(v.yubikey ? { publicId: v.yubikey.publicId } : {}) };
  }

  /** The requester's terminal session; a first enrolment without one is refused. */
  private terminalFor(step: 'start' | 'confirm', requester: Requester): TerminalSession {
    const t = peerTerminal(requester.pid);
    if (t.kind === 'terminal') return t.session;
    this.deps.log.audit({ event: 'otp', outcome: 'enrol_refused', why: `no terminal at ${step}`, peerPid: requester.pid, peerExe: requester.exe, peerUid: requester.uid });
    throw new AuthctlError(
      'otp_required',
      t.kind === 'none'
        ? 'the first one-time password method must be enrolled from a terminal (whoever enrols first holds the gate): run `authctl otp enroll --totp` in a terminal'
        : 'the agent cannot tell which terminal this request comes from, and the first one-time password method must be enrolled from a terminal: run `authctl otp enroll --totp` in a terminal',
    );
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
    this.deps.log.audit({ event: 'otp', outcome: 'removed', methods: targets, peerPid: requester.pid, peerExe: requester.exe, peerUid: requester.uid });
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

/**
 * The confirmation comes from the process that started (the pid is bound), still in that
 * terminal session; where the platform gives only the terminal's name (macOS, BSD), the name.
 */
function sameTerminalAsStart(start: TerminalSession, now: TerminalSession): boolean {
  return start.sid < 0 ? start.name === now.name : sameTerminalSession(start, now);
}

function alreadyEnrolled(method: OtpMethodName): AuthctlError {
  const flag = method === 'totp' ? '--totp' : '--yubikey';
  return new AuthctlError('usage', `a ${LABEL[method]} method is already enrolled, and enrolling never replaces one: remove it first with \`authctl otp remove ${flag}\`, then enrol again`);
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
