/**
 * The agent API server: HTTP/1.1 + JSON on a Unix socket. The peer's identity is decided
 * once per connection (and a peer with another uid is dropped before a byte is read);
 * every request is checked for browser-ish headers, bounded in size and time, and routed
 * through one table. It never crashes on input.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readlinkSync } from 'node:fs';
import { AuthctlError, httpStatusFor } from '../shared/errors.js';
import type { Peer, TokenBroker } from './broker/token-broker.js';
import type { Logger, Redactor } from './log.js';
import type { AgentInfo, RouteContext } from './routes/context.js';
import type { ForwardedConnection } from './forwarding-policy.js';
import { ROUTES } from './routes.js';
import { ConnectionLimits } from './connection-limits.js';

export const MAX_BODY_BYTES = 64 * 1024;
// Room for a burst of CLIs at token expiry (the budget is 500 at once); beyond it, refuse.
export const MAX_CONNECTIONS = 1024;
/** One process (the kernel's pid of the peer) never holds more than half of them. */
export const MAX_CONNECTIONS_PER_PEER = MAX_CONNECTIONS / 2;
/** From complete headers to the whole body: a local client sends a small body at once. */
export const BODY_DEADLINE_MS = 10_000;
const ALLOWED_HOSTS = new Set(['authctl', 'localhost', 'local-authctl.sock']);

export interface PeerIdentifier {
  (socket: Socket): { uid: number; gid: number; pid: number } | null;
}

export interface ServerDeps {
  broker: TokenBroker;
  log: Logger;
  agent: AgentInfo;
  identifyPeer?: PeerIdentifier;
  uid?: number;
  /** Masks known token values in error messages (a provider may echo one back). */
  redactor?: Redactor;
  /** A listener with its own policy (the forwarding socket, daemon/forwarding-listener.ts). */
  connections?: ConnectionLabeller;
}

/** Labels each admitted connection once, and may refuse a request before its route runs. */
export interface ConnectionLabeller {
  label(socket: Socket, peer: Peer): { peer: Peer; forwarded?: ForwardedConnection };
  /** Throws an AuthctlError to refuse. */
  admit(route: string, ctx: RouteContext): void;
}

const peers = new WeakMap<Socket, Peer>();
const forwardedConnections = new WeakMap<Socket, ForwardedConnection>();

export function createAgentServer(deps: ServerDeps): Server {
  const server = createServer(
    // Below node's defaults: a local API needs small headers and quick requests. The timeouts
    // are checked every 5 s (not node's 30 s), so a slow client is cut off soon after them.
    { requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000, maxHeaderSize: 8192, connectionsCheckingInterval: 5_000 },
    (req, res) =>
      void handle(req, res, deps).catch(() => {
        // Answering itself failed (the peer is gone): drop the connection, never the agent.
        res.destroy();
      }),
  );
  server.maxConnections = MAX_CONNECTIONS;
  const limits = new ConnectionLimits({ maxPerPeer: MAX_CONNECTIONS_PER_PEER });
  const refusedOverCap = rateLimitedWarning(deps.log, 10_000);
  server.on('connection', (socket: Socket) => {
    const key = onConnection(socket, deps);
    if (key === undefined) return;
    if (!limits.admit(socket, key)) {
      socket.destroy();
      refusedOverCap(`a peer (${key}) already holds ${MAX_CONNECTIONS_PER_PEER} connections; refusing more from it`);
    }
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    limits.requestArrived(req.socket);
    res.once('finish', () => limits.answered(req.socket));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  return server;
}

/** Decides the peer of a new connection; returns its key for the per-peer cap, or undefined when it was dropped. */
function onConnection(socket: Socket, deps: ServerDeps): string | undefined {
  socket.setTimeout(60_000, () => socket.destroy());
  if (!deps.identifyPeer) {
    remember(socket, {}, deps);
    return 'unidentified';
  }
  let cred: ReturnType<PeerIdentifier>;
  try {
    cred = deps.identifyPeer(socket);
  } catch (e) {
    deps.log.warn('could not read peer credentials; refusing the connection', { reason: (e as Error).message });
    socket.destroy();
    return undefined;
  }
  if (!cred) {
    // The addon is loaded but could not identify this peer: fail closed.
    deps.log.warn('peer credentials unavailable for a connection; refusing it');
    socket.destroy();
    return undefined;
  }
  const myUid = deps.uid ?? process.getuid?.() ?? -1;
  if (cred.uid !== myUid) {
    // Root is not special: only the agent's own uid may talk to it (ssh-agent does the same).
    socket.destroy();
    deps.log.audit({ outcome: 'refused_peer', peerUid: cred.uid, peerPid: cred.pid, peerExe: exeOf(cred.pid), reason: `peer uid ${cred.uid} differs from the agent uid ${myUid}` });
    return undefined;
  }
  remember(socket, { uid: cred.uid, pid: cred.pid, exe: exeOf(cred.pid) }, deps);
  return `pid ${cred.pid}`;
}

/** The peer routes see for this connection, labelled by the listener's policy when it has one. */
function remember(socket: Socket, peer: Peer, deps: ServerDeps): void {
  if (!deps.connections) return void peers.set(socket, peer);
  const labelled = deps.connections.label(socket, peer);
  peers.set(socket, labelled.peer);
  if (labelled.forwarded) forwardedConnections.set(socket, labelled.forwarded);
}

/** A warning at most once per `everyMs`: a flood of refused connections must not flood the log. */
function rateLimitedWarning(log: Logger, everyMs: number): (message: string) => void {
  let last = 0;
  let suppressed = 0;
  return (message) => {
    const now = Date.now();
    if (now - last < everyMs) return void suppressed++;
    log.warn(message, suppressed ? { alsoRefusedSinceLastWarning: suppressed } : undefined);
    last = now;
    suppressed = 0;
  };
}

function exeOf(pid: number): string | undefined {
  if (process.platform !== 'linux' || pid <= 0) return undefined;
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

async function handle(req: IncomingMessage, res: ServerResponse, deps: ServerDeps): Promise<void> {
  try {
    checkHeaders(req);
    const route = ROUTES[`${req.method} ${(req.url ?? '').split('?')[0]}`];
    if (!route) throw new AuthctlError('not_found', `no such API route: ${req.method} ${String(req.url).slice(0, 100)}`);
    const body = req.method === 'POST' ? await readJson(req) : undefined;
    const peer = peers.get(req.socket) ?? {};
    const ctx: RouteContext = { body, peer, broker: deps.broker, log: deps.log, agent: deps.agent, req, res, forwarded: forwardedConnections.get(req.socket) };
    deps.connections?.admit(`${req.method} ${(req.url ?? '').split('?')[0]}`, ctx);
    const result = await route(ctx);
    if (result !== undefined) sendJson(res, 200, result);
  } catch (e) {
    const err = e instanceof AuthctlError ? e : new AuthctlError('internal', 'the agent hit an unexpected error');
    if (!(e instanceof AuthctlError)) deps.log.error('unexpected error in a request', { reason: (e as Error)?.message, stack: process.env.AUTHCTL_DEBUG ? (e as Error)?.stack : undefined });
    if (res.headersSent) return void res.end();
    // The rest of an unread body (too large, or cut off) is not worth reading: close after answering.
    if (!req.complete && (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined)) res.setHeader('connection', 'close');
    const body = err.toBody();
    sendJson(res, httpStatusFor(err.code), deps.redactor ? { ...body, message: deps.redactor.redactString(body.message) } : body);
  }
}

/** Defence in depth against browsers and DNS rebinding, as Tailscale's LocalAPI does. */
function checkHeaders(req: IncomingMessage): void {
  if (req.headers.origin !== undefined || req.headers.referer !== undefined)
    throw new AuthctlError('forbidden', 'requests from browsers are refused');
  const host = (req.headers.host ?? '').toLowerCase();
  if (!ALLOWED_HOSTS.has(host)) throw new AuthctlError('forbidden', 'unexpected Host header');
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) return reject(new AuthctlError('bad_request', `the request body is larger than ${MAX_BODY_BYTES} bytes`));
    const chunks: Buffer[] = [];
    let size = 0;
    // A body that trickles in holds a connection: it gets a deadline of its own.
    const deadline = setTimeout(() => {
      req.removeAllListeners('data');
      req.resume();
      reject(new AuthctlError('bad_request', 'the request body did not arrive in time'));
    }, BODY_DEADLINE_MS);
    deadline.unref();
    req.once('close', () => clearTimeout(deadline));
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        reject(new AuthctlError('bad_request', `the request body is larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('error', () => reject(new AuthctlError('bad_request', 'the request was cut off')));
    req.on('aborted', () => reject(new AuthctlError('bad_request', 'the request was cut off')));
    req.on('end', () => {
      clearTimeout(deadline);
      if (size === 0) return resolve(undefined);
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new AuthctlError('bad_request', 'the request body is not valid JSON'));
      }
    });
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
