/**
 * Reuse of a privileged token within the policy's `cacheSeconds`, bound to the terminal
 * session of the requester whose OTP approved it, as sudo's `timestamp_type=tty` binds its
 * ticket: another process of the user without that controlling terminal (another terminal
 * window, a process started with setsid, a sandboxed app on the socket) is asked for an OTP
 * again. Where the requester's terminal cannot be determined, nothing is reused.
 */
import { peerTerminal, sameTerminalSession, type TerminalSession } from '../peer-terminal.js';

interface Approval {
  /** Unix ms. */
  until: number;
  terminal: TerminalSession;
}

export class PrivilegedApprovals {
  private readonly approvals = new Map<string, Approval>();

  /**
   * Remembers that the requester `pid` approved `key` for `seconds`; false (nothing
   * remembered, so the token must not be cached) when it has no known terminal session.
   */
  remember(key: string, pid: number | undefined, seconds: number, nowMs: number): boolean {
    const t = peerTerminal(pid);
    if (seconds <= 0 || t.kind !== 'terminal') return false;
    this.approvals.set(key, { until: nowMs + seconds * 1000, terminal: t.session });
    return true;
  }

  /** True while the approval lasts and `pid` runs in the same terminal session. */
  reusable(key: string, pid: number | undefined, nowMs: number): boolean {
    const a = this.approvals.get(key);
    if (!a) return false;
    if (a.until <= nowMs) {
      this.approvals.delete(key);
      return false;
    }
    const t = peerTerminal(pid);
    return t.kind === 'terminal' && sameTerminalSession(a.terminal, t.session);
  }

  dropProfile(keyPrefix: string): void {
    for (const key of this.approvals.keys()) if (key.startsWith(keyPrefix)) this.approvals.delete(key);
  }
}
