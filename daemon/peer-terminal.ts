/**
 * The terminal session a peer process runs in, as the kernel reports it: its controlling
 * terminal and session id, plus the start time of the session leader, so a session id that
 * the kernel hands out again later is not the same session (sudo's `timestamp_type=tty`
 * keys its ticket the same way). Read from /proc/<pid>/stat on Linux; where it cannot be
 * read, the answer is "unknown", and callers treat unknown as "not a terminal".
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface TerminalSession {
  /** The controlling terminal's device number (stat field 7, tty_nr). */
  ttyNr: number;
  /** The session id (stat field 6). */
  sid: number;
  /** The session leader's start time in clock ticks after boot (its stat field 22). */
  leaderStart: number;
  /** For people and the audit log: e.g. "pts/3". */
  name: string;
}

export type PeerTerminal =
  | { kind: 'terminal'; session: TerminalSession }
  /** The process has no controlling terminal (a service, `setsid`, a container exec without -t). */
  | { kind: 'none' }
  /** This platform (or a vanished process) does not tell. */
  | { kind: 'unknown' };

/** Fields after the command name, which may itself hold spaces and ")". */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

export function peerTerminal(pid: number | undefined): PeerTerminal {
  if (!pid || pid <= 0) return { kind: 'unknown' };
  if (process.platform === 'linux') return linuxTerminal(pid);
  if (process.platform === 'darwin' || process.platform.endsWith('bsd')) return psTerminal(pid);
  return { kind: 'unknown' };
}

function linuxTerminal(pid: number): PeerTerminal {
  try {
    const f = statFields(pid);
    // f[0] is field 3 (state): field n is f[n - 3].
    const sid = Number(f[3]);
    const ttyNr = Number(f[4]);
    if (!ttyNr) return { kind: 'none' };
    const leaderStart = Number(statFields(sid)[19]);
    if (!Number.isFinite(leaderStart)) return { kind: 'unknown' };
    return { kind: 'terminal', session: { ttyNr, sid, leaderStart, name: ttyName(ttyNr) } };
  } catch {
    return { kind: 'unknown' };
  }
}

/**
 * macOS and the BSDs have no /proc: `ps` says whether there is a controlling terminal. It
 * does not give a session identity that survives reuse, so such a peer is a terminal for
 * the enrolment check but never matches a cached approval.
 */
function psTerminal(pid: number): PeerTerminal {
  try {
    const tty = execFileSync('ps', ['-o', 'tty=', '-p', String(pid)], { encoding: 'utf8', timeout: 2000 }).trim();
    if (!tty) return { kind: 'unknown' };
    if (tty === '??' || tty === '?') return { kind: 'none' };
    return { kind: 'terminal', session: { ttyNr: -1, sid: -1, leaderStart: -1, name: tty } };
  } catch {
    return { kind: 'unknown' };
  }
}

/** Whether two readings are the same terminal session (never true for an unknown one). */
export function sameTerminalSession(a: TerminalSession | undefined, b: TerminalSession | undefined): boolean {
  if (!a || !b || a.sid < 0 || b.sid < 0) return false;
  return a.ttyNr === b.ttyNr && a.sid === b.sid && a.leaderStart === b.leaderStart;
}

/** Linux's tty_nr encoding (major in bits 8-19, minor in 0-7 and 20-31) to a device name. */
function ttyName(ttyNr: number): string {
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return `pts/${(major - 136) * 256 + minor}`;
  if (major === 4) return `tty${minor}`;
  return `tty(${major},${minor})`;
}
