/**
 * Logging through winston as JSON lines, with a redaction format that runs on every
 * entry: values under secret-looking keys are dropped, and any string that merely
 * contains a token the agent has seen is masked. Audit events are their own category.
 */
import winston from 'winston';
import { mkdirSync, chmodSync, openSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';

const SECRET_KEYS = /^(access_?token|refresh_?token|id_?token|device_?code|token|secret|password|code|otp|api_?key|authorization|cookie)$/i;
const MASK = '[redacted]';
const MAX_KNOWN = 4096;

/** Remembers every secret value the agent handled, so it can be masked wherever it appears. */
export class Redactor {
  private readonly known = new Set<string>();

  add(secret: string | undefined): void {
    if (!secret || secret.length < 8) return;
    if (this.known.size >= MAX_KNOWN) this.known.delete(this.known.values().next().value!);
    this.known.add(secret);
  }

  redactString(s: string): string {
    let out = s;
    for (const secret of this.known) if (out.includes(secret)) out = out.split(secret).join(MASK);
    // Bearer credentials and JWT-shaped strings are masked even if we never saw them.
    return out
      .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${MASK}`)
      .replace(/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, MASK);
  }

  redactValue(v: unknown, depth = 0): unknown {
    if (typeof v === 'string') return this.redactString(v);
    if (depth > 6 || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => this.redactValue(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) out[k] = SECRET_KEYS.test(k) && val ? MASK : this.redactValue(val, depth + 1);
    return out;
  }
}

export type LogDestination = { kind: 'stderr' } | { kind: 'file'; path: string } | { kind: 'silent' };

export interface Logger {
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
  debug(msg: string, meta?: Record<string, unknown>): void;
  /** One JSON line per token decision: who asked, for what, and the outcome. Never a token. */
  audit(event: Record<string, unknown>): void;
  close(): Promise<void>;
}

export function createLogger(dest: LogDestination, redactor: Redactor, level = process.env.AUTHCTL_DEBUG ? 'debug' : 'info'): Logger {
  const redact = winston.format((info) => {
    for (const key of Object.keys(info)) {
      if (key === 'level') continue;
      const val = (info as Record<string, unknown>)[key];
      (info as Record<string, unknown>)[key] = SECRET_KEYS.test(key) && val ? MASK : redactor.redactValue(val);
    }
    return info;
  });
  const transports: winston.transport[] = [];
  if (dest.kind === 'stderr') transports.push(new winston.transports.Stream({ stream: process.stderr }));
  if (dest.kind === 'file') {
    prepareLogFile(dest.path);
    transports.push(new winston.transports.File({ filename: dest.path, maxsize: 5 * 1024 * 1024, maxFiles: 3, tailable: true }));
  }
  if (dest.kind === 'silent') transports.push(new winston.transports.Stream({ stream: process.stderr, silent: true }));
  const w = winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), redact(), winston.format.json()),
    transports,
  });
  return {
    info: (m, meta) => w.info(m, meta),
    warn: (m, meta) => w.warn(m, meta),
    error: (m, meta) => w.error(m, meta),
    debug: (m, meta) => w.debug(m, meta),
    audit: (event) => w.info('audit', { category: 'audit', ...event }),
    close: () =>
      new Promise<void>((resolve) => {
        w.on('finish', () => resolve());
        w.end();
        setTimeout(resolve, 500).unref();
      }),
  };
}

/** Log files are created 0600 in a 0700 directory before winston opens them. */
function prepareLogFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
}
