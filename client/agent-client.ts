/**
 * The only code that talks to the agent socket. The token path stays on `node:net`
 * with a hand-written HTTP/1.1 request (loading `node:http` alone costs more than the
 * whole cached answer); the login stream, which is rare, uses `node:http`. Before any
 * connect, the socket directory must be owned by us and private (anti-squatting).
 */
import { connect, type Socket } from 'node:net';
import { lstatSync } from 'node:fs';
import { dirname } from 'node:path';
import { AuthctlError } from '../shared/errors.js';
import { collectFederationInput } from '../shared/federation.js';

export interface AgentResponse<T = unknown> {
  status: number;
  body: T;
}

export interface AgentClientOptions {
  socketPath: string;
  /** Start an agent when none answers (DESIGN.md: like git's credential-cache). */
  autostart: boolean;
  uid?: number;
  /** Where a federation profile's CI values are read (default: process.env). */
  env?: Record<string, string | undefined>;
}

export class AgentClient {
  constructor(readonly opts: AgentClientOptions) {}

  /** A JSON request; an error status becomes a thrown AuthctlError with the agent's code. */
  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown, env = this.opts.env ?? process.env): Promise<T> {
    const res = await this.request<T>(method, path, body);
    if (res.status < 400) return res.body;
    const error = AuthctlError.fromBody(res.body);
    // A federation profile: the agent names what it needs from this CI job's environment
    // (it cannot see it), and the same request goes again with it, once.
    if (error.code === 'federation_input_required' && path === '/v1/token' && isPlainObject(body) && !('federation' in body)) {
      const federation = collectFederationInput(env, error.details);
      return this.call<T>(method, path, { ...body, federation }, env);
    }
    throw error;
  }

  async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<AgentResponse<T>> {
    try {
      return await this.once<T>(method, path, body);
    } catch (e) {
      // A forwarded socket belongs to an ssh session: no agent is ever started in its place.
      if (e instanceof AgentUnreachable && this.socketKind === 'forwarded') throw forwardGone(this.opts.socketPath, e.code);
      if (!(e instanceof AgentUnreachable) || !this.opts.autostart) throw toAgentError(e, this.opts.socketPath);
    }
    const { startAgent } = await import('./autostart.js');
    await startAgent(this.opts.socketPath, () => this.reachable());
    try {
      return await this.once<T>(method, path, body);
    } catch (e) {
      throw toAgentError(e, this.opts.socketPath);
    }
  }

  /**
   * A JSON request (no autostart) that also returns what `inspect` saw of the connected
   * socket: `authctl daemon stop` reads the kernel's peer credentials of the very
   * connection the answer came on.
   */
  async callInspecting<T, P>(method: 'GET' | 'POST', path: string, inspect: (sock: Socket) => P): Promise<{ body: T; seen: P }> {
    let seen: P | undefined;
    let res: AgentResponse<T>;
    try {
      res = await this.once<T>(method, path, undefined, (sock) => (seen = inspect(sock)));
    } catch (e) {
      throw toAgentError(e, this.opts.socketPath);
    }
    if (res.status >= 400) throw AuthctlError.fromBody(res.body);
    return { body: res.body, seen: seen as P };
  }

  async reachable(): Promise<boolean> {
    try {
      await this.once('GET', '/v1/status');
      return true;
    } catch {
      return false;
    }
  }

  /** 'forwarded' once the socket was accepted as an `authctl ssh` forward (see checkSocketDir). */
  socketKind?: SocketKind;

  private once<T>(method: string, path: string, body?: unknown, onConnect?: (sock: Socket) => void): Promise<AgentResponse<T>> {
    this.socketKind = checkSocketDir(this.opts.socketPath, this.opts.uid, this.opts.env ?? process.env);
    const payload = body === undefined ? '' : JSON.stringify(body);
    const head =
      `${method} ${path} HTTP/1.1\r\nHost: authctl\r\nConnection: close\r\n` +
      (payload ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n` : '') +
      '\r\n';
    return new Promise((resolve, reject) => {
      const sock = connect(this.opts.socketPath);
      const chunks: Buffer[] = [];
      let connected = false;
      sock.once('connect', () => {
        connected = true;
        onConnect?.(sock);
        // write, not end: node's HTTP server drops a half-closed request before answering it.
        sock.write(head + payload);
      });
      sock.on('data', (c: Buffer) => chunks.push(c));
      sock.once('error', (e: NodeJS.ErrnoException) => {
        reject(connected ? new AuthctlError('agent_unavailable', `the agent closed the connection (${e.code})`) : new AgentUnreachable(e.code ?? 'error'));
      });
      sock.once('close', () => {
        if (!connected) return;
        try {
          resolve(parseResponse<T>(Buffer.concat(chunks)));
        } catch (e) {
          reject(e);
        }
      });
    });
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class AgentUnreachable extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

function toAgentError(e: unknown, path: string): AuthctlError {
  if (e instanceof AuthctlError) return e;
  const code = e instanceof AgentUnreachable ? e.code : (e as Error).message;
  return new AuthctlError('agent_unavailable', `no agent answers on ${path} (${code}): start one with \`authctl daemon\``, { unreachable: code });
}

/** Parses a complete HTTP/1.1 response (the agent always sends Content-Length for JSON). */
function parseResponse<T>(raw: Buffer): AgentResponse<T> {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new AuthctlError('agent_unavailable', 'the agent sent an incomplete answer');
  const statusLine = raw.subarray(0, raw.indexOf('\r\n')).toString('latin1');
  const status = Number(statusLine.split(' ')[1]);
  const text = raw.subarray(end + 4).toString('utf8');
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      throw new AuthctlError('agent_unavailable', `the agent sent an answer that is not JSON (HTTP ${status})`);
    }
  }
  return { status, body: body as T };
}

function forwardGone(path: string, code: string): AuthctlError {
  return new AuthctlError('agent_unavailable', `the forwarded agent at ${path} does not answer (${code}): the \`authctl ssh\` session that forwarded it has ended; connect again with \`authctl ssh\``);
}

/** `private`: a socket in a private directory (the usual place); `forwarded`: an `authctl ssh` forward named by AUTHCTL_SOCK. */
export type SocketKind = 'private' | 'forwarded';

/**
 * Refuses a socket whose directory someone else owns or can write: it may not be our agent.
 * One exception: the socket that `authctl ssh` forwarded to a remote host sits in a shared
 * directory such as /tmp; it is accepted when AUTHCTL_SOCK names it and the socket itself
 * is ours with mode 0600 (sshd creates it so), which a squatter cannot fake.
 */
export function checkSocketDir(socketPath: string, uid = process.getuid?.() ?? -1, env: Record<string, string | undefined> = {}): SocketKind {
  if (uid < 0) return 'private'; // Windows named pipes have no directory to check.
  const dir = dirname(socketPath);
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    return 'private'; // Nothing there yet: the connect fails and autostart creates it privately.
  }
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
    if (env.AUTHCTL_SOCK === socketPath && st.isDirectory()) {
      const forwarded = forwardedSocketState(socketPath, uid);
      if (forwarded === 'ok') return 'forwarded';
      if (forwarded === 'absent') throw forwardGone(socketPath, 'ENOENT');
    }
    const what = st.isSymbolicLink() ? 'a symbolic link' : st.isDirectory() ? `mode ${(st.mode & 0o777).toString(8)}` : 'not a directory';
    const next = st.isDirectory() && st.uid === uid ? `run \`chmod 700 ${dir}\`` : 'someone else may be squatting it: remove it, or set AUTHCTL_SOCK';
    throw new AuthctlError(
      'agent_unavailable',
      `refusing to talk to the agent socket in ${dir}: the directory must be yours and mode 700 (it is ${what}, owner uid ${st.uid}, you are uid ${uid});\n${next}`,
    );
  }
  return 'private';
}

/** A forwarded agent socket must be a socket (not a link) owned by `uid` that nobody else may open. */
function forwardedSocketState(path: string, uid: number): 'ok' | 'absent' | 'unsafe' {
  try {
    const st = lstatSync(path);
    return st.isSocket() && st.uid === uid && (st.mode & 0o077) === 0 ? 'ok' : 'unsafe';
  } catch {
    return 'absent';
  }
}
