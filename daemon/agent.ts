/**
 * Starts the agent: config, store, OAuth engine, broker, hardening, the socket, and a
 * graceful shutdown that finishes in-flight requests and flushes keychain writes.
 */
import { lstatSync, unlinkSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { AuthctlError } from '../shared/errors.js';
import { agentLogFile, forwardingSocketPath, processPathEnv, socketPath, stateDir, systemConfigFiles, userConfigFile, type PathEnv } from '../shared/paths.js';
import { TokenBroker } from './broker/token-broker.js';
import { ConfigSource } from './config-source.js';
import type { EffectiveConfig } from '../shared/config.js';
import { createLogger, Redactor, type LogDestination, type Logger } from './log.js';
import { OAuthEngine } from './oauth/oauth-engine.js';
import { createTransport } from './oauth/transport.js';
import { createAgentServer, type PeerIdentifier, type ServerDeps } from './server.js';
import { claimSocketPath, ensurePrivateDir, tightenSocket, withPrivateUmask } from './socket-dir.js';
import { selectStore } from './store/select-store.js';
import { registerSecretsOnRead } from './store/redacted-reads.js';
import { KeychainStore, KEYCHAIN_SERVICE } from './store/keychain-store.js';
import { hardenAgentProcess } from './hardening.js';
import { instrumentationProblem } from './instrumentation.js';
import { planNetwork } from './network.js';
import { chooseListenTarget, type ListenTarget } from './platform.js';
import { VERSION } from './version.js';
import { stopDeadlineMs } from './stop-deadline.js';
import { createOtpService, type OtpServiceOptions } from './otp/otp-service.js';
import { startForwardingListener, type ForwardingListener } from './forwarding-listener.js';

export interface AgentOptions {
  pathEnv?: PathEnv;
  /** `journal`: stderr with syslog priorities, for systemd (see platform.ts). */
  log?: 'stderr' | 'journal' | 'file' | 'silent';
  /** Install SIGTERM/SIGINT handlers that exit the process (the real daemon; not in tests). */
  handleSignals?: boolean;
  /** Refuse to run with an inspector or preloaded code (default: with handleSignals, the real daemon). */
  refuseInstrumented?: boolean;
  /** Make the whole process non-dumpable and core-less (default: with handleSignals). */
  hardenProcess?: boolean;
  /** Tests: the clock of challenges, lockouts and TOTP steps, and challenge settings. */
  otp?: Pick<OtpServiceOptions, 'now' | 'challenges'>;
  /** Tests: how long a transient refresh failure is remembered (default 5 s). */
  refreshFailureMemoryMs?: number;
  /** Tests: how long the browser flow waits for its callback (default 60 s, or AUTHCTL_BROWSER_FLOW_TIMEOUT_SECONDS). */
  browserFlowTimeoutMs?: number;
}

export interface RunningAgent {
  socketPath: string;
  broker: TokenBroker;
  log: Logger;
  close(): Promise<void>;
}

/** The transport's (and openid-client's) timeout for one request to a provider, by default. */
const DEFAULT_PROVIDER_TIMEOUT_MS = 15_000;

export async function startAgent(opts: AgentOptions = {}): Promise<RunningAgent> {
  const pe = opts.pathEnv ?? processPathEnv();
  const path = socketPath(pe);
  // First of all: this clears LISTEN_* before anything (a D-Bus autolaunch) can spawn.
  const { target, note: listenNote } = chooseListenTarget(path);
  const redactor = new Redactor();
  const log = createLogger(logDestination(opts.log, pe), redactor);
  try {
    return await startWithLog(opts, pe, path, target, listenNote, log, redactor);
  } catch (e) {
    // An autostarted agent has no stderr: every refusal is one line in the log too.
    if (e instanceof AuthctlError && e.details.alreadyRunning) log.info(e.message, { event: 'not started' });
    else log.error((e as Error).message, { event: 'refused to start' });
    await log.close();
    throw e;
  }
}

async function startWithLog(
  opts: AgentOptions,
  pe: PathEnv,
  path: string,
  target: ListenTarget,
  listenNote: string | undefined,
  log: Logger,
  redactor: Redactor,
): Promise<RunningAgent> {
  if (listenNote) log.warn(listenNote);
  const realDaemon = opts.refuseInstrumented ?? Boolean(opts.handleSignals);
  const instrumented = realDaemon ? instrumentationProblem() : undefined;
  if (instrumented) {
    throw new AuthctlError(
      'agent_unavailable',
      `refusing to run the agent: ${instrumented}, which would let a debugger or foreign code into the process holding your tokens; start it from an environment without NODE_OPTIONS or Node debug flags`,
    );
  }
  const hardening = hardenAgentProcess(log, opts.hardenProcess ?? Boolean(opts.handleSignals));
  ensurePrivateDir(stateDir(pe), 'state');

  const config = new ConfigSource(systemConfigFiles(pe), userConfigFile(pe));
  let storagePref: 'auto' | 'keychain' | 'file' = 'auto';
  let requirePeerCheck = false;
  let network: EffectiveConfig['network'] = { caFiles: [] };
  try {
    const cfg = config.current();
    storagePref = cfg.storage;
    requirePeerCheck = cfg.requirePeerCheck;
    network = cfg.network;
  } catch (e) {
    log.error('the config is invalid; the agent starts, and requests say why', { reason: (e as Error).message });
  }
  if (requirePeerCheck && !hardening.peerIdentifier) {
    throw new AuthctlError(
      'agent_unavailable',
      'not starting: the config requires the peer check ("requirePeerCheck": true), but the peer check is unavailable (the native addon did not load); rebuild it with `node scripts/build-native.mjs`',
    );
  }

  const { store, keychainError } = await selectStore(storagePref, stateDir(pe), new KeychainStore(pe.env.AUTHCTL_KEYCHAIN_SERVICE || KEYCHAIN_SERVICE), (message, profile) =>
    log.info(message, { profile }),
  );
  registerSecretsOnRead(store, (secret) => redactor.add(secret));
  if (store.warning) log.warn(store.warning);
  // Proxy settings, the CA bundle and the timeout are read once, here: changing them needs a restart.
  const net = planNetwork(network, pe.env);
  const transport = createTransport({
    extraCaFiles: net.caFiles,
    timeoutMs: network.timeoutSeconds ? network.timeoutSeconds * 1000 : undefined,
    proxy: net.proxy,
    onCaProblem: (message) => log.error(message),
  });
  const oauth = new OAuthEngine(transport.fetch, { timeoutSeconds: network.timeoutSeconds });
  const keychainService = pe.env.AUTHCTL_KEYCHAIN_SERVICE || KEYCHAIN_SERVICE;
  const otp = createOtpService({ backend: store.backend, keychainService, stateDir: stateDir(pe), log, fetch: oauth.fetch, ...opts.otp });
  const broker = new TokenBroker({ config, store, oauth, log, redactor, otp, refreshFailureMemoryMs: opts.refreshFailureMemoryMs, browserFlowTimeoutMs: opts.browserFlowTimeoutMs ?? browserFlowTimeoutMs(pe.env) });

  if (target.kind === 'socket') await claimSocketPath(path);
  const forwardingPath = target.kind === 'pipe' ? undefined : forwardingSocketPath(path);
  const serverDeps: ServerDeps = {
    broker,
    log,
    identifyPeer: hardening.peerIdentifier as PeerIdentifier | undefined,
    redactor,
    agent: {
      version: VERSION,
      startedAt: Date.now(),
      socket: path,
      peerCheck: hardening.peerIdentifier ? 'available' : 'unavailable',
      peerCheckProblem: hardening.peerCheckProblem,
      network: net.status,
      storage: { backend: store.backend, warning: store.warning, error: keychainError && store.backend === 'keychain' ? keychainError.message : undefined },
      forwardingSocket: forwardingPath,
      log: logDestination(opts.log, pe),
    },
  };
  const server = createAgentServer(serverDeps);
  const loginStreams = trackLoginStreams(server);
  await listen(server, target);
  const forwarding = forwardingPath ? await startForwarding(serverDeps, forwardingPath, log) : undefined;
  if (!forwarding) delete serverDeps.agent.forwardingSocket;
  // Only a socket we bound is ours to watch and remove; systemd owns an inherited one.
  const inode = target.kind === 'socket' ? lstatSync(path).ino : undefined;
  log.info('agent started', { pid: process.pid, socket: path, listen: target.kind, storage: store.backend, peerCheck: Boolean(hardening.peerIdentifier) });

  // Longer than a refresh's whole retry budget plus its store write (stop-deadline.ts).
  const stopDeadline = stopDeadlineMs(network.timeoutSeconds ? network.timeoutSeconds * 1000 : DEFAULT_PROVIDER_TIMEOUT_MS);
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      clearInterval(watch);
      const stopBy = Date.now() + stopDeadline;
      await Promise.all([stopServer(server, loginStreams, stopDeadline), forwarding?.close()]);
      // A refresh whose client has gone still finishes and writes its rotated refresh token.
      if (!(await settlesWithin(broker.drain(), stopBy - Date.now()))) log.error('stopping with work still in flight: the shutdown deadline passed');
      if (inode !== undefined) removeOwnSocket(path, inode);
      await transport.close();
      log.info('agent stopped');
      await log.close();
    })());

  // If another agent replaced our socket (a race on a stale path), it is the one clients find: step aside.
  const watch = setInterval(() => {
    if (inode !== undefined && inodeOf(path) !== inode) {
      log.warn('the socket path now belongs to another agent; exiting');
      void close().then(() => opts.handleSignals && process.exit(0));
    }
  }, 10_000);
  watch.unref();

  if (opts.handleSignals) {
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      process.once(sig, () => void close().then(() => process.exit(0), () => process.exit(1)));
    }
  }
  return { socketPath: path, broker, log, close };
}

/** The forwarding socket for `authctl ssh`; without it the agent still serves its main socket. */
async function startForwarding(deps: ServerDeps, path: string, log: Logger): Promise<ForwardingListener | undefined> {
  try {
    return await startForwardingListener(deps, path);
  } catch (e) {
    log.warn('not listening on the forwarding socket: `authctl ssh` will not work', { socket: path, reason: (e as Error).message });
    return undefined;
  }
}

function logDestination(kind: AgentOptions['log'], pe: PathEnv): LogDestination {
  if (kind === 'file') return { kind: 'file', path: agentLogFile(pe) };
  if (kind === 'journal' || kind === 'silent') return { kind };
  return { kind: 'stderr' };
}

function listen(server: Server, target: ListenTarget): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new AuthctlError('forbidden', `an agent is already running on ${target.path}`, { alreadyRunning: true }) : e);
    server.once('error', onError);
    const listening = () => {
      server.off('error', onError);
      if (target.kind === 'socket') tightenSocket(target.path);
      resolve();
    };
    if (target.kind === 'inherited') server.listen({ fd: target.fd }, listening);
    else if (target.kind === 'pipe') server.listen(target.path, listening);
    else withPrivateUmask(() => server.listen(target.path, listening));
  });
}

/** Connections carrying a login stream: at shutdown they are cut at once, not waited for. */
function trackLoginStreams(server: Server): Set<Socket> {
  const streams = new Set<Socket>();
  server.on('request', (req) => {
    if (!req.url?.startsWith('/v1/login')) return;
    streams.add(req.socket);
    req.socket.once('close', () => streams.delete(req.socket));
  });
  return streams;
}

/**
 * Stops accepting and lets in-flight requests finish for up to `deadlineMs`, then drops
 * the rest. A login stream waits for a person, possibly for minutes, so it is cut at once
 * (its client reports the closed connection, and the device flow stops).
 */
function stopServer(server: Server, loginStreams: Set<Socket>, deadlineMs: number): Promise<void> {
  return new Promise((resolve) => {
    const deadline = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, deadlineMs);
    deadline.unref();
    server.close(() => {
      clearTimeout(deadline);
      resolve();
    });
    server.closeIdleConnections();
    for (const socket of loginStreams) socket.destroy();
  });
}

/** True when `work` settled within `ms`; false when the time ran out first. */
function settlesWithin(work: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), Math.max(0, ms));
    timer.unref();
    work.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}

function inodeOf(path: string): number | undefined {
  try {
    return lstatSync(path).ino;
  } catch {
    return undefined;
  }
}

function removeOwnSocket(path: string, inode: number): void {
  if (inodeOf(path) !== inode) return;
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/**
 * AUTHCTL_BROWSER_FLOW_TIMEOUT_SECONDS: how long a browser login waits for its callback
 * before saying so (default 60, as the issue asks); tests set 1 to reach the fallback.
 */
function browserFlowTimeoutMs(env: Record<string, string | undefined>): number | undefined {
  const raw = env.AUTHCTL_BROWSER_FLOW_TIMEOUT_SECONDS;
  if (!raw || !/^\d{1,4}$/.test(raw) || Number(raw) < 1) return undefined;
  return Number(raw) * 1000;
}
