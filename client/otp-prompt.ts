/**
 * Asks the person for a one-time password, on the terminal of the command that asked
 * (DESIGN.md, "Security model"): `/dev/tty`, not stdin, so `T=$(authctl token
 * --privileged)` still prompts; echo off; the prompt shows what is being approved. With no
 * terminal it runs AUTHCTL_ASKPASS (SSH_ASKPASS's contract: the prompt as argv[1], the
 * answer on stdout); with neither it fails closed (exit code 4). Loaded only when the
 * agent asks for an OTP, so the everyday token path never pays for it.
 */
import { spawn } from 'node:child_process';
import { openSync, writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import type { OtpAnswer, OtpApproval, OtpChallenge, OtpMethodName } from '../shared/api.js';
import { AuthctlError } from '../shared/errors.js';
import type { CommandIO } from './io.js';
import { terminalSafe } from '../shared/terminal-text.js';

/** Asks for a secret with `text` as the prompt; rejects by `deadline` (unix ms) if given. */
export type SecretPrompt = (text: string, env: CommandIO['env'], deadline?: number) => Promise<string>;

const METHOD_LABEL: Record<OtpMethodName, string> = { totp: 'code from your authenticator app', yubikey: 'touch of your YubiKey' };

/**
 * Answers the challenge in `required` (an otp_required error) by asking, then sends the
 * request again with the answer; a wrong code is asked for again while the agent allows,
 * and everything else (accepted, locked out, expired) ends the loop.
 */
export async function answerChallenges<T>(
  required: AuthctlError,
  io: CommandIO,
  send: (otp: OtpAnswer) => Promise<T>,
  ask: SecretPrompt = askForSecret,
): Promise<T> {
  let challenge = challengeOf(required);
  if (!challenge) throw required;
  let notice: string | undefined;
  for (;;) {
    const code = (await ask(describeChallenge(challenge, notice), io.env, challenge.expiresAt * 1000)).replace(/\s+/g, '');
    try {
      return await send({ challengeId: challenge.id, code });
    } catch (e) {
      const next = e instanceof AuthctlError && e.code === 'otp_invalid' ? challengeOf(e) : undefined;
      if (!next) throw e;
      challenge = next;
      notice = (e as AuthctlError).message;
    }
  }
}

/** Sends `send()`; if the agent wants an OTP first, asks and sends again with the answer. */
export async function withOtp<T>(io: CommandIO, send: (otp?: OtpAnswer) => Promise<T>, ask: SecretPrompt = askForSecret): Promise<T> {
  try {
    return await send();
  } catch (e) {
    if (!(e instanceof AuthctlError) || e.code !== 'otp_required') throw e;
    return answerChallenges(e, io, send, ask);
  }
}

export function challengeOf(e: AuthctlError): OtpChallenge | undefined {
  const c = e.details.challenge as OtpChallenge | undefined;
  return c && typeof c.id === 'string' ? c : undefined;
}

/** The prompt: what the OTP approves, who asks and why, then the question. */
export function describeChallenge(c: OtpChallenge, notice?: string): string {
  // Every field may come from the requester (scopes, audience, its executable's path) or the
  // agent's peers: a control character must not let it redraw what the person approves.
  const lines = [`authctl: a one-time password is needed to approve: ${terminalSafe(describeApproval(c.approves))}`];
  const who = c.requester;
  if (who?.pid || who?.exe) {
    const parent = who.parent ? `, started by ${terminalSafe(who.parent.exe ?? 'an unknown program')} (pid ${who.parent.pid})` : '';
    lines.push(`  requested by ${terminalSafe(who.exe ?? 'an unknown program')}${who.pid ? ` (pid ${who.pid})` : ''}${parent}`);
  }
  lines.push(`  because ${terminalSafe(c.reason)}`);
  if (notice) lines.push(`  ${terminalSafe(notice)}`);
  const how = c.methods.map((m) => METHOD_LABEL[m] ?? m).join(' or ');
  lines.push(`One-time password (${terminalSafe(how)}): `);
  return lines.join('\n');
}

function describeApproval(a: OtpApproval): string {
  switch (a.action) {
    case 'token': {
      const parts = [`a token for profile "${a.profile}"`, `scopes: ${a.scopes?.length ? a.scopes.join(' ') : '(all granted at login)'}`];
      if (a.audience) parts.push(`audience: ${a.audience}`);
      if (a.resource) parts.push(`resource: ${a.resource}`);
      return parts.join('; ');
    }
    case 'otp_enroll':
      return `enrolling a new ${a.method === 'yubikey' ? 'YubiKey' : 'TOTP'} method`;
    case 'otp_remove':
      return a.method ? `removing the ${a.method === 'yubikey' ? 'YubiKey' : 'TOTP'} method` : 'removing every one-time password method';
  }
}

/** The terminal, else AUTHCTL_ASKPASS, else a refusal (exit code 4). */
export const askForSecret: SecretPrompt = async (text, env, deadline) => {
  const fd = openTerminal();
  if (fd !== undefined) return readHidden(fd, text, deadline);
  const askpass = env.AUTHCTL_ASKPASS;
  if (askpass) return runAskpass(askpass, text, env, deadline);
  throw new AuthctlError(
    'otp_required',
    'a one-time password is needed, but there is no terminal to ask on and AUTHCTL_ASKPASS is not set: run the command in a terminal, or set AUTHCTL_ASKPASS to a program that asks (as for SSH_ASKPASS)',
  );
};

/**
 * The terminal only, never AUTHCTL_ASKPASS: for the code that confirms a first enrolment,
 * which must be typed by the person at the terminal that started it.
 */
export const askOnTerminal: SecretPrompt = async (text, _env, deadline) => {
  const fd = openTerminal();
  if (fd !== undefined) return readHidden(fd, text, deadline);
  throw new AuthctlError(
    'otp_required',
    'the first one-time password method must be enrolled from a terminal, and this command has none (AUTHCTL_ASKPASS is not used for it): run `authctl otp enroll` in a terminal',
  );
};

function openTerminal(): number | undefined {
  try {
    return openSync('/dev/tty', 'r+');
  } catch {
    return undefined; // No controlling terminal (a service, CI, `setsid`), or not a Unix.
  }
}

/** Reads one line from the terminal with echo off (raw mode, so we also see Ctrl-C and Ctrl-U). */
function readHidden(fd: number, text: string, deadline?: number): Promise<string> {
  writeSync(fd, text);
  const input = new ReadStream(fd);
  input.setRawMode(true);
  // If the process dies while asking, the terminal must not stay without echo.
  const restore = () => {
    try {
      input.setRawMode(false);
    } catch {
      // Already closed.
    }
  };
  process.once('exit', restore);
  return new Promise((resolve, reject) => {
    let value = '';
    const timer = deadline ? setTimeout(() => finish(expired()), Math.max(0, deadline - Date.now())) : undefined;
    const finish = (error?: Error) => {
      clearTimeout(timer);
      restore();
      process.off('exit', restore);
      input.removeAllListeners('data');
      try {
        writeSync(fd, '\n');
      } catch {
        // The terminal went away; the answer (or error) still stands.
      }
      input.destroy(); // closes fd
      if (error) reject(error);
      else resolve(value);
    };
    input.on('error', () => finish(new AuthctlError('otp_required', 'the terminal closed before a one-time password was entered')));
    input.on('data', (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\x03' || (ch === '\x04' && value === '')) return finish(new AuthctlError('otp_required', 'cancelled at the one-time password prompt'));
        if (ch === '\x7f' || ch === '\b') value = value.slice(0, -1);
        else if (ch === '\x15') value = '';
        else if (ch >= ' ') value += ch;
      }
    });
  });
}

function runAskpass(program: string, text: string, env: CommandIO['env'], deadline?: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, [text], { stdio: ['ignore', 'pipe', 'inherit'], env: env as NodeJS.ProcessEnv });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (out += d));
    const timer = deadline ? setTimeout(() => child.kill('SIGTERM'), Math.max(0, deadline - Date.now())) : undefined;
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new AuthctlError('otp_required', `cannot run AUTHCTL_ASKPASS "${program}" (${e.code ?? 'error'}): fix the variable or unset it`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(out.split(/\r?\n/)[0]!);
      if (signal && deadline && Date.now() >= deadline) return reject(expired());
      reject(new AuthctlError('otp_required', `AUTHCTL_ASKPASS "${program}" gave no answer (${signal ? `killed by ${signal}` : `exit code ${code}`})`));
    });
  });
}

function expired(): AuthctlError {
  return new AuthctlError('otp_required', 'the one-time password challenge expired before an answer came: run the command again');
}
