/**
 * Bounds on connections, against a same-user process (or a buggy client) holding the socket
 * open (issue 11, item 11): a thousand half-open connections used to fill the agent's
 * connection cap until its 60 s idle timeout. Each peer (its pid, as the kernel reports it)
 * may hold at most half of the agent's connections, so one process never takes them all, and
 * a connection must complete its request headers within a few seconds of connecting (or of
 * finishing its previous request), as sshd's LoginGraceTime does for a login.
 */
import type { Socket } from 'node:net';

/** From connect (or the end of the previous answer) to complete request headers. */
export const HEADERS_DEADLINE_MS = 5_000;

export interface ConnectionLimitsOptions {
  maxPerPeer: number;
  headersDeadlineMs?: number;
}

/** Counts connections per peer; pure bookkeeping, so the rule is testable without sockets. */
export class PeerCounts {
  private readonly counts = new Map<string, number>();

  constructor(private readonly maxPerPeer: number) {}

  /** Takes a slot for `peer`, or says no when it already holds its share. */
  take(peer: string): boolean {
    const n = this.counts.get(peer) ?? 0;
    if (n >= this.maxPerPeer) return false;
    this.counts.set(peer, n + 1);
    return true;
  }

  release(peer: string): void {
    const n = (this.counts.get(peer) ?? 0) - 1;
    if (n > 0) this.counts.set(peer, n);
    else this.counts.delete(peer);
  }

  held(peer: string): number {
    return this.counts.get(peer) ?? 0;
  }
}

export class ConnectionLimits {
  private readonly peers: PeerCounts;
  private readonly deadlineMs: number;
  private readonly timers = new WeakMap<Socket, NodeJS.Timeout>();
  /** Requests read but not yet answered, per connection (pipelining is legal HTTP/1.1). */
  private readonly inFlight = new WeakMap<Socket, number>();

  constructor(opts: ConnectionLimitsOptions) {
    this.peers = new PeerCounts(opts.maxPerPeer);
    this.deadlineMs = opts.headersDeadlineMs ?? HEADERS_DEADLINE_MS;
  }

  /** A new connection from `peer`: false (and the caller drops it) when the peer holds its share. */
  admit(socket: Socket, peer: string): boolean {
    if (!this.peers.take(peer)) return false;
    socket.once('close', () => {
      this.peers.release(peer);
      this.clearDeadline(socket);
    });
    this.awaitRequest(socket);
    return true;
  }

  /** The connection now waits for request headers: it must send them before the deadline. */
  awaitRequest(socket: Socket): void {
    this.clearDeadline(socket);
    const timer = setTimeout(() => socket.destroy(), this.deadlineMs);
    timer.unref();
    this.timers.set(socket, timer);
  }

  /** Headers are complete (node's 'request' event). */
  requestArrived(socket: Socket): void {
    this.inFlight.set(socket, (this.inFlight.get(socket) ?? 0) + 1);
    this.clearDeadline(socket);
  }

  /** The answer went out: a kept-alive connection waits for its next request, under the deadline again. */
  answered(socket: Socket): void {
    const n = (this.inFlight.get(socket) ?? 1) - 1;
    this.inFlight.set(socket, n);
    if (n <= 0 && !socket.destroyed) this.awaitRequest(socket);
  }

  private clearDeadline(socket: Socket): void {
    const t = this.timers.get(socket);
    if (t) clearTimeout(t);
    this.timers.delete(socket);
  }
}
