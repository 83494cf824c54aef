import { describe, expect, it } from 'vitest';
import { ChallengeTable } from './challenges.js';

function table() {
  let now = 1_000_000;
  const t = new ChallengeTable({ now: () => now, ttlMs: 120_000, maxAttempts: 3, lockBaseMs: 30_000, lockMaxMs: 100_000 });
  return { t, advance: (ms: number) => (now += ms) };
}

describe('ChallengeTable', () => {
  it('issues unguessable ids that expire after the TTL', () => {
    const { t, advance } = table();
    const a = t.issue('req');
    const b = t.issue('req');
    expect(a.id).not.toBe(b.id);
    expect(a.id).toMatch(/^[\w-]{24}$/);
    expect(a.expiresAt).toBe(1_120_000);
    advance(120_000);
    expect(t.take(a.id, 'req')).toEqual({ ok: false, reason: 'expired' });
    expect(t.take(a.id, 'req')).toEqual({ ok: false, reason: 'unknown' });
  });

  it('is single-use: a taken challenge cannot be taken again, even before it is answered', () => {
    const { t } = table();
    const c = t.issue('req');
    const first = t.take(c.id, 'req');
    expect(first.ok).toBe(true);
    expect(t.take(c.id, 'req')).toEqual({ ok: false, reason: 'unknown' });
    t.succeed(c);
    expect(t.take(c.id, 'req')).toEqual({ ok: false, reason: 'unknown' });
  });

  it('leaves a challenge presented for another request where it is', () => {
    const { t } = table();
    const c = t.issue('req-a');
    expect(t.take(c.id, 'req-b')).toEqual({ ok: false, reason: 'mismatch' });
    expect(t.take(c.id, 'req-a').ok).toBe(true);
  });

  it('gives a challenge back after a wrong answer while attempts are left', () => {
    const { t } = table();
    const c = t.issue('req');
    t.take(c.id, 'req');
    expect(t.fail(c)).toEqual({ attemptsLeft: 2, lockedForMs: 0 });
    expect(t.take(c.id, 'req').ok).toBe(true);
  });

  it('counts wrong answers across challenges, so fresh challenges do not buy fresh guesses', () => {
    const { t } = table();
    for (let i = 0; i < 2; i++) {
      const c = t.issue('req');
      t.take(c.id, 'req');
      t.fail(c);
    }
    expect(t.attemptsLeft()).toBe(1);
    const c = t.issue('req');
    t.take(c.id, 'req');
    expect(t.fail(c)).toEqual({ attemptsLeft: 0, lockedForMs: 30_000 });
  });

  it('locks out with a delay that doubles up to the maximum, and drops open challenges', () => {
    const { t, advance } = table();
    const lockOnce = () => {
      const c = t.issue('req');
      t.take(c.id, 'req');
      t.fail(c);
      t.take(c.id, 'req');
      t.fail(c);
      t.take(c.id, 'req');
      return t.fail(c).lockedForMs;
    };
    const open = t.issue('other');
    expect(lockOnce()).toBe(30_000);
    expect(t.take(open.id, 'other')).toEqual({ ok: false, reason: 'locked' });
    advance(29_999);
    expect(t.lockedForMs()).toBe(1);
    advance(1);
    expect(t.take(open.id, 'other')).toEqual({ ok: false, reason: 'unknown' });
    expect(lockOnce()).toBe(60_000);
    advance(60_000);
    expect(lockOnce()).toBe(100_000);
  });

  it('forgets the lockout history after a right answer', () => {
    const { t, advance } = table();
    for (let i = 0; i < 3; i++) {
      const c = t.issue('req');
      t.take(c.id, 'req');
      t.fail(c);
    }
    advance(30_000);
    const c = t.issue('req');
    t.take(c.id, 'req');
    t.succeed(c);
    expect(t.lockout).toEqual({ failures: 0, lockouts: 0, lockedUntil: 0 });
  });

  it('does not count a released challenge (no verdict) as a wrong answer', () => {
    const { t } = table();
    const c = t.issue('req');
    t.take(c.id, 'req');
    t.release(c);
    expect(t.attemptsLeft()).toBe(3);
    expect(t.take(c.id, 'req').ok).toBe(true);
  });

  it('restores a persisted lockout', () => {
    const { t } = table();
    t.restore({ failures: 1, lockouts: 2, lockedUntil: 1_010_000 });
    expect(t.lockedForMs()).toBe(10_000);
    expect(t.attemptsLeft()).toBe(2);
    expect(t.take(t.issue('req').id, 'req')).toEqual({ ok: false, reason: 'locked' });
  });

  it('keeps at most maxOpen challenges, dropping the oldest', () => {
    const t = new ChallengeTable({ maxOpen: 2 });
    const first = t.issue('r');
    t.issue('r');
    t.issue('r');
    expect(t.take(first.id, 'r')).toEqual({ ok: false, reason: 'unknown' });
  });
});
