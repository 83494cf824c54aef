/**
 * OTP challenges (DESIGN.md, "Security model"): single-use, bound to the request they were
 * issued for, expiring (default 120 s). Wrong answers are counted across all challenges,
 * not per challenge, because a fresh challenge is free to ask for: after `maxAttempts`
 * wrong answers in a row every answer is locked out, for a delay that doubles with each
 * lockout until a right answer resets it. No I/O; the clock is injected; the caller
 * persists `lockout` so an agent restart does not reset it.
 */
import { randomBytes } from 'node:crypto';

export interface ChallengeTableOptions {
  now?: () => number;
  ttlMs?: number;
  maxAttempts?: number;
  lockBaseMs?: number;
  lockMaxMs?: number;
  /** Open challenges kept at most; the oldest goes first. */
  maxOpen?: number;
}

export interface LockoutState {
  /** Wrong answers since the last right answer or lockout. */
  failures: number;
  /** Lockouts since the last right answer; each lasts twice as long as the one before. */
  lockouts: number;
  /** Unix ms; 0 when not locked. */
  lockedUntil: number;
}

export interface Challenge {
  id: string;
  /** What an answer must be for: the request (and requester) it was issued to. */
  binding: string;
  /** Unix ms. */
  expiresAt: number;
}

export type TakeResult =
  | { ok: true; challenge: Challenge }
  | { ok: false; reason: 'locked' | 'unknown' | 'expired' | 'mismatch' };

export const DEFAULT_CHALLENGE_TTL_MS = 120_000;
export const DEFAULT_MAX_ATTEMPTS = 3;
const DEFAULT_LOCK_BASE_MS = 30_000;
const DEFAULT_LOCK_MAX_MS = 15 * 60_000;
const DEFAULT_MAX_OPEN = 64;

export class ChallengeTable {
  private readonly open = new Map<string, Challenge>();
  private state: LockoutState = { failures: 0, lockouts: 0, lockedUntil: 0 };
  private readonly now: () => number;
  private readonly ttlMs: number;
  readonly maxAttempts: number;
  private readonly lockBaseMs: number;
  private readonly lockMaxMs: number;
  private readonly maxOpen: number;

  constructor(opts: ChallengeTableOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.ttlMs = opts.ttlMs ?? DEFAULT_CHALLENGE_TTL_MS;
    this.maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.lockBaseMs = opts.lockBaseMs ?? DEFAULT_LOCK_BASE_MS;
    this.lockMaxMs = opts.lockMaxMs ?? DEFAULT_LOCK_MAX_MS;
    this.maxOpen = opts.maxOpen ?? DEFAULT_MAX_OPEN;
  }

  /** Milliseconds until answers are accepted again; 0 when not locked out. */
  lockedForMs(): number {
    return Math.max(0, this.state.lockedUntil - this.now());
  }

  /** Wrong answers still allowed before the next lockout. */
  attemptsLeft(): number {
    return this.maxAttempts - this.state.failures;
  }

  get lockout(): LockoutState {
    return { ...this.state };
  }

  /** Restores the persisted lockout (agent start). */
  restore(state: LockoutState): void {
    this.state = { ...state };
  }

  issue(binding: string): Challenge {
    this.sweep();
    while (this.open.size >= this.maxOpen) this.open.delete(this.open.keys().next().value!);
    const challenge = { id: randomBytes(18).toString('base64url'), binding, expiresAt: this.now() + this.ttlMs };
    this.open.set(challenge.id, challenge);
    return challenge;
  }

  /**
   * Takes a challenge out of the table for answering, so a second answer to it (even a
   * concurrent one) finds nothing. Give it back with fail() or release(), or end it with
   * succeed(). A challenge presented for another request stays where it is.
   */
  take(id: string, binding: string): TakeResult {
    if (this.lockedForMs() > 0) return { ok: false, reason: 'locked' };
    const challenge = this.open.get(id);
    if (!challenge) return { ok: false, reason: 'unknown' };
    if (challenge.expiresAt <= this.now()) {
      this.open.delete(id);
      return { ok: false, reason: 'expired' };
    }
    if (challenge.binding !== binding) return { ok: false, reason: 'mismatch' };
    this.open.delete(id);
    return { ok: true, challenge };
  }

  /** A wrong answer: counts it, and either gives the challenge back or locks out. */
  fail(challenge: Challenge): { attemptsLeft: number; lockedForMs: number } {
    this.state.failures++;
    if (this.state.failures < this.maxAttempts) {
      if (challenge.expiresAt > this.now()) this.open.set(challenge.id, challenge);
      return { attemptsLeft: this.attemptsLeft(), lockedForMs: 0 };
    }
    const delay = Math.min(this.lockBaseMs * 2 ** this.state.lockouts, this.lockMaxMs);
    this.state = { failures: 0, lockouts: this.state.lockouts + 1, lockedUntil: this.now() + delay };
    // Challenges issued before the lockout must not be answerable after it.
    this.open.clear();
    return { attemptsLeft: 0, lockedForMs: delay };
  }

  /** No verdict on the answer (the validation service was unreachable): give it back uncounted. */
  release(challenge: Challenge): void {
    if (challenge.expiresAt > this.now()) this.open.set(challenge.id, challenge);
  }

  /** A right answer: the challenge is spent and the lockout history is forgotten. */
  succeed(_challenge: Challenge): void {
    this.state = { failures: 0, lockouts: 0, lockedUntil: 0 };
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, c] of this.open) if (c.expiresAt <= now) this.open.delete(id);
  }
}
