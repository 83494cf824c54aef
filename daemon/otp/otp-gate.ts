/**
 * The OTP gate in front of privileged actions (a privileged token, enrolling over an
 * existing method, removing one). Without an answer it issues a challenge bound to the
 * action and the requesting process; with one it checks the challenge, then the code,
 * persists the replay state before saying yes, and counts wrong codes towards a lockout
 * that survives an agent restart. Every outcome goes to the audit log.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import type { OtpAnswer, OtpApproval, OtpChallenge, OtpMethodName, OtpRequester } from '../../shared/api.js';
import { AuthctlError } from '../../shared/errors.js';
import type { Logger } from '../log.js';
import type { Challenge, ChallengeTable } from './challenges.js';
import { enrolledMethods, type OtpStore } from './otp-store.js';
import type { OtpVerifier, VerifyOutcome } from './verifier.js';

export interface OtpGateDeps {
  store: OtpStore;
  challenges: ChallengeTable;
  verifier: OtpVerifier;
  log: Logger;
}

type Verdict = VerifyOutcome & { lockedForMs: number; attemptsLeft: number };

export interface OtpRequest {
  answer?: OtpAnswer;
  approval: OtpApproval;
  /** Why an OTP is needed, for people. */
  reason: string;
  requester: { pid?: number; exe?: string };
}

export class OtpGate {
  private restored?: Promise<void>;

  constructor(private readonly deps: OtpGateDeps) {}

  /** Milliseconds until OTP answers are accepted again (0: not locked out). */
  lockedForMs(): number {
    return this.deps.challenges.lockedForMs();
  }

  /**
   * Resolves with the method that answered once a right OTP answered a challenge issued
   * for this very action and requester; its replay state is stored by then. Otherwise
   * throws otp_required (with a new challenge), otp_invalid or otp_locked.
   */
  async require(req: OtpRequest): Promise<OtpMethodName> {
    const { store, challenges } = this.deps;
    await this.restoreLockout();
    const methods = enrolledMethods(await store.read());
    const audit = (outcome: string, extra: Record<string, unknown> = {}) =>
      this.deps.log.audit({ event: 'otp', outcome, ...req.approval, peerPid: req.requester.pid, peerExe: req.requester.exe, ...extra });
    if (!methods.length) {
      audit('no_method');
      throw new AuthctlError('otp_required', `${req.reason}, and no one-time password method is enrolled: enrol one in a terminal with \`authctl otp enroll --totp\``);
    }
    this.refuseWhileLocked(audit);
    const binding = JSON.stringify([req.approval, req.requester.pid ?? null]);
    if (!req.answer) {
      const c = challenges.issue(binding);
      audit('challenge_issued', { challengeId: c.id });
      throw new AuthctlError('otp_required', `${req.reason}: answer with a one-time password`, { challenge: this.publicView(c, req, methods) });
    }

    const taken = challenges.take(req.answer.challengeId, binding);
    if (!taken.ok) {
      if (taken.reason === 'locked') this.refuseWhileLocked(audit);
      audit('challenge_refused', { challengeId: req.answer.challengeId, why: taken.reason });
      throw new AuthctlError(
        'otp_invalid',
        taken.reason === 'mismatch'
          ? 'that challenge was issued for another request or program: run the command again'
          : 'that challenge has expired or was already used: run the command again',
      );
    }
    const challenge = taken.challenge;
    const code = req.answer.code;
    const verdict = await store.transaction<Verdict>(async (record) => {
      // Answers sent in parallel were all taken before any was judged: one that waited
      // here while others locked the gate must not be judged after all.
      const lockedForMs = challenges.lockedForMs();
      if (lockedForMs > 0) return { result: { ok: false, counted: false, reason: 'locked out', lockedForMs, attemptsLeft: 0 } };
      const v = await this.deps.verifier.verify(record, code);
      if (v.ok) {
        challenges.succeed(challenge);
        const next = v.apply(record);
        delete next.lockout;
        return { next, result: { ...v, lockedForMs: 0, attemptsLeft: 0 } };
      }
      if (!v.counted) {
        challenges.release(challenge);
        return { result: { ...v, lockedForMs: 0, attemptsLeft: challenges.attemptsLeft() } };
      }
      const f = challenges.fail(challenge);
      return { next: { ...record, lockout: challenges.lockout }, result: { ...v, ...f } };
    });
    return this.conclude(verdict, challenge, req, methods, audit);
  }

  /** Once per agent: a lockout in force when the agent stopped is still in force. */
  private restoreLockout(): Promise<void> {
    this.restored ??= this.deps.store.read().then(
      (r) => {
        if (r.lockout) this.deps.challenges.restore(r.lockout);
      },
      (e) => {
        this.restored = undefined;
        throw e;
      },
    );
    return this.restored;
  }

  private conclude(
    verdict: Verdict,
    challenge: Challenge,
    req: OtpRequest,
    methods: OtpMethodName[],
    audit: (outcome: string, extra?: Record<string, unknown>) => void,
  ): OtpMethodName {
    if (verdict.ok) {
      audit('accepted', { challengeId: challenge.id, method: verdict.method });
      return verdict.method;
    }
    if (verdict.lockedForMs > 0) {
      // counted: this wrong answer locked the gate; otherwise another one had, first.
      audit(verdict.counted ? 'locked' : 'refused_locked', { challengeId: challenge.id, lockedForSeconds: Math.ceil(verdict.lockedForMs / 1000) });
      throw lockedError(verdict.lockedForMs);
    }
    audit(verdict.counted ? 'wrong' : 'no_verdict', { challengeId: challenge.id, attemptsLeft: verdict.attemptsLeft });
    const left = verdict.attemptsLeft === 1 ? '1 attempt left' : `${verdict.attemptsLeft} attempts left`;
    throw new AuthctlError('otp_invalid', `${verdict.reason} (${left})`, { challenge: this.publicView(challenge, req, methods) });
  }

  private refuseWhileLocked(audit: (outcome: string, extra?: Record<string, unknown>) => void): void {
    const ms = this.deps.challenges.lockedForMs();
    if (ms <= 0) return;
    audit('refused_locked', { lockedForSeconds: Math.ceil(ms / 1000) });
    throw lockedError(ms);
  }

  private publicView(c: Challenge, req: OtpRequest, methods: OtpMethodName[]): OtpChallenge {
    return {
      id: c.id,
      expiresAt: Math.floor(c.expiresAt / 1000),
      reason: req.reason,
      methods,
      attemptsLeft: this.deps.challenges.attemptsLeft(),
      approves: req.approval,
      requester: describeRequester(req.requester),
    };
  }
}

function lockedError(ms: number): AuthctlError {
  const s = Math.ceil(ms / 1000);
  return new AuthctlError('otp_locked', `too many wrong one-time passwords: answers are locked out, try again in ${s} s`, { retryAfterSeconds: s });
}

/** The requester and, on Linux, its parent: `authctl token` itself is rarely the program that wants the token. */
function describeRequester(peer: { pid?: number; exe?: string }): OtpRequester {
  const out: OtpRequester = { pid: peer.pid, exe: peer.exe };
  if (process.platform !== 'linux' || !peer.pid || peer.pid <= 0) return out;
  try {
    const stat = readFileSync(`/proc/${peer.pid}/stat`, 'utf8');
    // Field 4 (ppid) comes after the command name, which may itself hold spaces and ")".
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid > 0) out.parent = { pid: ppid, exe: exeOf(ppid) };
  } catch {
    // The requester is gone already; its own pid and exe are what we have.
  }
  return out;
}

function exeOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}
