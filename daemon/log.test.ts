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
