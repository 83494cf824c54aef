import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthctlError } from '../../shared/errors.js';
import { enrolledMethods, OtpStore } from './otp-store.js';

const dirs: string[] = [];
function fileStore(): { store: OtpStore; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'authctl-otp-store-'));
  dirs.push(dir);
  return { store: OtpStore.beside('file', { keychainService: 'unused', stateDir: dir }), path: join(dir, 'otp.json') };
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('OtpStore (file backend)', () => {
  it('starts empty, then writes a change to a 0600 file before returning', async () => {
    const { store, path } = fileStore();
    expect(await store.read()).toEqual({ v: 1 });
    const result = await store.transaction(async (r) => ({ next: { ...r, totp: { secret: 'JBSWY3DPEHPK3PXP', lastStep: 7, enrolledAt: 1 } }, result: 'done' }));
    expect(result).toBe('done');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, 'utf8')).sessions.otp.totp.lastStep).toBe(7);
    // A second store (an agent restart) reads what the first wrote.
    const again = OtpStore.beside('file', { keychainService: 'unused', stateDir: join(path, '..') });
    expect(enrolledMethods(await again.read())).toEqual(['totp']);
    expect(store.warning).toMatch(/readable by anything running as you/);
  });

  it('runs transactions one at a time, so two verifications never see the same state', async () => {
    const { store } = fileStore();
    const seen: number[] = [];
    const bump = () =>
      store.transaction(async (r) => {
        const step = r.totp?.lastStep ?? 0;
        seen.push(step);
        await new Promise((res) => setTimeout(res, 5));
        return { next: { ...r, totp: { secret: 'JBSWY3DPEHPK3PXP', lastStep: step + 1, enrolledAt: 1 } }, result: undefined };
      });
    await Promise.all([bump(), bump(), bump()]);
    expect(seen).toEqual([0, 1, 2]);
  });

  it('keeps the old state in memory when a write fails', async () => {
    const { store, path } = fileStore();
    await store.read();
    // A directory where the file should be: the rename fails.
    rmSync(path, { force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path);
    const e = await store.transaction(async (r) => ({ next: { ...r, totp: { secret: 'X', lastStep: 1, enrolledAt: 1 } }, result: 1 })).catch((err) => err);
    expect(e).toBeInstanceOf(AuthctlError);
    expect((e as AuthctlError).code).toBe('keychain_unavailable');
    expect(await store.read()).toEqual({ v: 1 });
  });

  it('refuses an unreadable record instead of treating it as "nothing enrolled"', async () => {
    const { store, path } = fileStore();
    writeFileSync(path, JSON.stringify({ v: 1, sessions: { otp: { v: 99 } } }), { mode: 0o600 });
    const e = await store.read().catch((err) => err);
    expect((e as AuthctlError).code).toBe('keychain_unavailable');
    expect((e as AuthctlError).message).toMatch(/unreadable/);
  });
});
