/**
 * Logging through winston as JSON lines, with a redaction format that runs on every
 * entry: values under secret-looking keys are dropped, and any string that merely
 * contains a token the agent has seen is masked. Audit events are their own category,
 * and they are written off the request path: queued with the time they happened and
 * handed to winston in batches (audit-queue.ts), all of them before close() returns.
 */
import winston from 'winston';
import { mkdirSync, chmodSync, openSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';
import { AuditQueue } from './audit-queue.js';

const SECRET_KEYS = /^(access_?token|refresh_?token|id_?token|device_?code|token|secret|password|code|otp|api_?key|authorization|cookie)$/i;
const MASK = '[redacted]';
const MASK_BYTES = Buffer.from(MASK);
const MAX_KNOWN = 4096;

/**
 * Remembers every secret value the agent handled, so it can be masked wherever it appears,
 * even inside a longer string. The values are kept as Buffers, zeroed when forgotten.
 */
export class Redactor {
  private readonly known: Buffer[] = [];
  /** The shortest known secret, in bytes: a shorter string cannot contain one (the audit path's fast exit). */
  private shortest = Infinity;

  add(secret: string | undefined): void {
    if (!secret || secret.length < 8) return;
    const bytes = Buffer.from(secret, 'utf8');
    if (this.known.some((k) => k.equals(bytes))) return void bytes.fill(0);
    if (this.known.length >= MAX_KNOWN) {
      this.known.shift()!.fill(0);
      this.shortest = Math.min(...this.known.map((k) => k.length));
    }
    this.known.push(bytes);
    this.shortest = Math.min(this.shortest, bytes.length);
  }

  redactString(s: string): string {
    let out = s;
    if (this.known.length && Buffer.byteLength(s, 'utf8') >= this.shortest) {
      const bytes = Buffer.from(s, 'utf8');
      const masked = this.known.reduce((b, secret) => maskAll(b, secret), bytes);
      if (masked !== bytes) out = masked.toString('utf8');
    }
    // Bearer credentials and JWT-shaped strings are masked even if we never saw them.
    return out
      .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${MASK}`)
      .replace(/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, MASK);
  }

  redactValue(v: unknown, depth = 0): unknown {
    if (typeof v === 'string') return this.redactString(v);
    if (v === null || typeof v !== 'object') return v;
    // Too deep to look at, or raw bytes: not worth the risk of logging a secret unseen.
    if (depth > 6) return '[too deep]';
    if (ArrayBuffer.isView(v)) return '[bytes]';
    if (Array.isArray(v)) return v.map((x) => this.redactValue(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) out[k] = SECRET_KEYS.test(k) && val ? MASK : this.redactValue(val, depth + 1);
    return out;
  }
}

/** `haystack` with every occurrence of `needle` replaced by the mask (the same Buffer if none). */
function maskAll(haystack: Buffer, needle: Buffer): Buffer {
  let at = haystack.indexOf(needle);
  if (at < 0) return haystack;
  const parts: Buffer[] = [];
  let from = 0;
  for (; at >= 0; at = haystack.indexOf(needle, from)) {
    parts.push(haystack.subarray(from, at), MASK_BYTES);
    from = at + needle.length;
  }
  parts.push(haystack.subarray(from));
  return Buffer.concat(parts);
}

/** `journal`: JSON lines on stderr, which systemd hands to the journal, each with its priority. */
export type LogDestination = { kind: 'stderr' } | { kind: 'journal' } | { kind: 'file'; path: string } | { kind: 'silent' };

/** A size cap per log file and how many files rotation keeps (DESIGN.md: logs never grow unbounded). */
export const LOG_FILE_MAX_BYTES = 5 * 1024 * 1024;
export const LOG_FILES_KEPT = 3;

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
  if (dest.kind === 'journal') transports.push(new winston.transports.Stream({ stream: process.stderr, format: journalPriority() }));
  let file: winston.transport | undefined;
  if (dest.kind === 'file') {
    prepareLogFile(dest.path);
    // mode 0600 for every file rotation creates too: the umask of an autostarted agent is the user's.
    const options = { flags: 'a', mode: 0o600 };
    file = new winston.transports.File({ filename: dest.path, maxsize: LOG_FILE_MAX_BYTES, maxFiles: LOG_FILES_KEPT, tailable: true, options });
    transports.push(file);
  }
  if (dest.kind === 'silent') transports.push(new winston.transports.Stream({ stream: process.stderr, silent: true }));
  const w = winston.createLogger({
    level,
    format: winston.format.combine(keptTimestamp(), redact(), winston.format.json()),
    transports,
  });
  // After close (shutdown), late lines are dropped instead of throwing "write after end".
  let closed = false;
  const backlog = fileBacklog(file);
  const at = (level: string) => (m: string, meta?: Record<string, unknown>) => {
    if (closed) return;
    if (w.isLevelEnabled(level)) backlog.wrote();
    w.log(level, m, meta);
  };
  const info = at('info');
  const audits = new AuditQueue((event, time) => info('audit', { category: 'audit', ...event, timestamp: new Date(time).toISOString() }));
  return {
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    debug: at('debug'),
    audit: (event) => {
      if (!closed) audits.push(event);
    },
    close: async () => {
      if (closed) return;
      // Every queued audit line goes to winston before anything is ended.
      audits.flush();
      closed = true;
      // winston's File transport, ended while it rotates or waits for a drain, writes after
      // end (an uncaught error) and loses those lines: let it take every line first.
      // Bounded well inside the agent's stop deadline; a loaded machine can take seconds.
      await backlog.drained(10_000);
      // Past that bound a late write must not become an uncaught error at exit.
      file?.on('error', () => undefined);
      await new Promise<void>((resolve) => {
        (file ?? w).once('finish', () => resolve());
        w.end();
        setTimeout(resolve, 2_000).unref();
      });
    },
  };
}

/** Lines handed to winston against lines the file transport has taken ('logged'). */
function fileBacklog(file?: winston.transport): { wrote(): void; drained(ms: number): Promise<void> } {
  let written = 0;
  let taken = 0;
  let onDrained: (() => void) | undefined;
  file?.on('logged', () => {
    if (++taken >= written) onDrained?.();
  });
  return {
    wrote: () => void (file && written++),
    drained: (ms) =>
      new Promise<void>((resolve) => {
        if (taken >= written) return resolve();
        const timer = setTimeout(resolve, ms);
        timer.unref();
        onDrained = () => {
          clearTimeout(timer);
          resolve();
        };
      }),
  };
}

/** winston's timestamp format, except that a line queued earlier keeps the time it happened. */
const keptTimestamp = winston.format((info) => {
  if (typeof info.timestamp !== 'string') info.timestamp = new Date().toISOString();
  return info;
});

const SYSLOG_PRIORITY: Record<string, number> = { error: 3, warn: 4, info: 6, debug: 7 };
const MESSAGE = Symbol.for('message');

/** sd-daemon(3) prefixes: journald strips `<N>` and files the line at that priority (`journalctl -p err`). */
const journalPriority = winston.format((info) => {
  const line = info as unknown as Record<symbol, unknown>;
  line[MESSAGE] = `<${SYSLOG_PRIORITY[info.level] ?? 6}>${String(line[MESSAGE])}`;
  return info;
});

/** Log files are created 0600 in a 0700 directory before winston opens them. */
function prepareLogFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
}
