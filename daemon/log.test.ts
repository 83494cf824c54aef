import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { Redactor } from './log.js';

describe('Redactor', () => {
  it('masks known secrets wherever they appear, even inside longer strings', () => {
    const r = new Redactor();
    r.add('refresh-secret-0123456789');
    expect(r.redactString('error: token refresh-secret-0123456789 was rejected')).toBe('error: token [redacted] was rejected');
  });

  it('masks bearer credentials and JWT-shaped strings it never saw', () => {
    const r = new Redactor();
    expect(r.redactString('Authorization: Bearer abc.def-ghi')).toBe('Authorization: Bearer [redacted]');
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsignedJwt = `${b64({ alg: 'none' })}.${b64({ sub: 'nobody-in-particular' })}.c2lnbmF0dXJl`;
    expect(r.redactString(`got ${unsignedJwt} ok`)).toBe('got [redacted] ok');
  });

  it('drops values under secret-looking keys, at any depth', () => {
    const r = new Redactor();
    expect(r.redactValue({ profile: 'w', nested: { refresh_token: 'x', accessToken: 'y', list: [{ password: 'p' }] } })).toEqual({
      profile: 'w',
      nested: { refresh_token: '[redacted]', accessToken: '[redacted]', list: [{ password: '[redacted]' }] },
    });
  });
});

describe('createLogger', () => {
  it('applies the redaction to messages and metadata before writing', async () => {
    const { createLogger } = await import('./log.js');
    const r = new Redactor();
    r.add('very-secret-token-value');
    let written = '';
    const sink = new Writable({
      write(chunk, _enc, cb) {
        written += chunk;
        cb();
      },
    });
    const orig = process.stderr.write.bind(process.stderr);
    (process.stderr as unknown as { write: unknown }).write = sink.write.bind(sink);
    try {
      const log = createLogger({ kind: 'stderr' }, r);
      log.error('failed with very-secret-token-value', { reason: 'token very-secret-token-value expired', token: 'other' });
      await new Promise((res) => setTimeout(res, 20));
    } finally {
      (process.stderr as unknown as { write: unknown }).write = orig;
    }
    expect(written).toContain('failed with [redacted]');
    expect(written).not.toContain('very-secret-token-value');
    expect(written).toContain('"token":"[redacted]"');
  });
});

describe('audit lines off the request path', () => {
  it('are queued, not written during the request, and all written in order by close()', async () => {
    const { createLogger } = await import('./log.js');
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'authctl-audit-'));
    try {
      const file = join(dir, 'agent.log');
      const log = createLogger({ kind: 'file', path: file }, new Redactor());
      const before = Date.now();
      for (let i = 0; i < 600; i += 1) log.audit({ outcome: 'cached', n: i });
      // More than one batch was due (FLUSH_AT_LENGTH), but none waits for the file.
      await log.close();
      const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"category":"audit"')).map((l) => JSON.parse(l) as { n: number; timestamp: string });
      expect(lines.map((l) => l.n)).toEqual(Array.from({ length: 600 }, (_, i) => i));
      // Each line keeps the time it happened, not the time it was written.
      expect(Date.parse(lines[0]!.timestamp)).toBeGreaterThanOrEqual(before - 1);
      log.audit({ outcome: 'late' });
      expect(readFileSync(file, 'utf8')).not.toContain('"late"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the queue hands a batch over after FLUSH_AFTER_MS or at FLUSH_AT_LENGTH, never inside push', async () => {
    const { AuditQueue, FLUSH_AFTER_MS, FLUSH_AT_LENGTH } = await import('./audit-queue.js');
    const written: number[] = [];
    const q = new AuditQueue((e) => written.push(e.n as number), () => 1000);
    q.push({ n: 0 });
    q.push({ n: 1 });
    expect(written).toEqual([]);
    expect(q.pending).toBe(2);
    await new Promise((r) => setTimeout(r, FLUSH_AFTER_MS + 30));
    expect(written).toEqual([0, 1]);
    for (let i = 2; i < 2 + FLUSH_AT_LENGTH; i += 1) q.push({ n: i });
    expect(written).toHaveLength(2 + FLUSH_AT_LENGTH);
    expect(q.pending).toBe(0);
    q.push({ n: -1 });
    q.flush();
    expect(written.at(-1)).toBe(-1);
  });
});
