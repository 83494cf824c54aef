/**
 * Starts the agent: config, store, OAuth engine, broker, hardening, the socket, and a
 * graceful shutdown that finishes in-flight requests and flushes keychain writes.
 */
import { lstatSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { AuthctlError } from '../shared/errors.js';
import { logDir, processPathEnv, socketPath, stateDir, systemConfigFile, userConfigFile, type PathEnv } from '../shared/paths.js';
import { TokenBroker } from './broker/token-broker.js';
import { ConfigSource } from './config-source.js';
import { createLogger, Redactor, type LogDestination, type Logger } from './log.js';
import { OAuthEngine } from './oauth/oauth-engine.js';
import { createDispatcher, createFetch } from './oauth/transport.js';
import { createAgentServer, type PeerIdentifier } from './server.js';
import { claimSocketPath, tightenSocket, withPrivateUmask } from './socket-dir.js';
import { selectStore } from './store/select-store.js';
import { KeychainStore, KEYCHAIN_SERVICE } from './store/keychain-store.js';
import { hardenAgentProcess } from './hardening.js';
import { VERSION } from './version.js';

export interface AgentOptions {
  pathEnv?: PathEnv;
  log?: 'stderr' | 'file' | 'silent';
  /** Install SIGTERM/SIGINT handlers that exit the process (the real daemon; not in tests). */
  handleSignals?: boolean;
  /** Make the whole process non-dumpable and core-less (default: with handleSignals). */
  hardenProcess?: boolean;
}

export interface RunningAgent {
  socketPath: string;
  broker: TokenBroker;
  log: Logger;
  close(): Promise<void>;
}

export async function startAgent(opts: AgentOptions = {}): Promise<RunningAgent> {
  const pe = opts.pathEnv ?? processPathEnv();
  const redactor = new Redactor();
  const logDest: LogDestination =
    opts.log === 'file' ? { kind: 'file', path: join(logDir(pe), 'agent.log') } : opts.log === 'silent' ? { kind: 'silent' } : { kind: 'stderr' };
  const log = createLogger(logDest, redactor);
  const hardening = hardenAgentProcess(log, opts.hardenProcess ?? Boolean(opts.handleSignals));

  const config = new ConfigSource(systemConfigFile(pe), userConfigFile(pe));
  let storagePref: 'auto' | 'keychain' | 'file' = 'auto';
  let requirePeerCheck = false;
  try {
    const cfg = config.current();
    storagePref = cfg.storage;
    requirePeerCheck = cfg.requirePeerCheck;
  } catch (e) {
    log.error('the config is invalid; the agent starts, and requests say why', { reason: (e as Error).message });
  }
  if (requirePeerCheck && !hardening.peerIdentifier) {
    throw new AuthctlError('forbidden', 'the config requires the peer check ("requirePeerCheck": true), but the native addon is unavailable');
  }

  const { store, keychainError } = await selectStore(storagePref, stateDir(pe), new KeychainStore(pe.env.AUTHCTL_KEYCHAIN_SERVICE || KEYCHAIN_SERVICE));
  if (store.warning) log.warn(store.warning);
  const extraCa = process.env.NODE_EXTRA_CA_CERTS ? [process.env.NODE_EXTRA_CA_CERTS] : [];
  const dispatcher = createDispatcher({ extraCaFiles: extraCa });
  const oauth = new OAuthEngine(createFetch(dispatcher));
  const broker = new TokenBroker({ config, store, oauth, log, redactor });

  const path = socketPath(pe);
  await claimSocketPath(path);
  const server = createAgentServer({
    broker,
    log,
    identifyPeer: hardening.peerIdentifier as PeerIdentifier | undefined,
    agent: {
      version: VERSION,
      startedAt: Date.now(),
      socket: path,
      peerCheck: hardening.peerIdentifier ? 'available' : 'unavailable',
      storage: { backend: store.backend, warning: store.warning, error: keychainError && store.backend === 'keychain' ? keychainError.message : undefined },
    },
  });
  await listen(server, path);
  const inode = lstatSync(path).ino;
  log.info('agent started', { pid: process.pid, socket: path, storage: store.backend, peerCheck: Boolean(hardening.peerIdentifier) });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      clearInterval(watch);
      await stopServer(server);
      await broker.sessions.flush();
      removeOwnSocket(path, inode);
      await dispatcher.close().catch(() => undefined);
      log.info('agent stopped');
      await log.close();
    })());

  // If another agent replaced our socket (a race on a stale path), it is the one clients find: step aside.
  const watch = setInterval(() => {
    if (inodeOf(path) !== inode) {
      log.warn('the socket path now belongs to another agent; exiting');
      void close().then(() => opts.handleSignals && process.exit(0));
    }
  }, 10_000);
  watch.unref();

  if (opts.handleSignals) {
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      process.once(sig, () => void close().then(() => process.exit(0)));
    }
  }
  return { socketPath: path, broker, log, close };
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new AuthctlError('forbidden', `an agent is already running on ${path}`, { alreadyRunning: true }) : e);
    server.once('error', onError);
    withPrivateUmask(() =>
      server.listen(path, () => {
        server.off('error', onError);
        tightenSocket(path);
        resolve();
      }),
    );
  });
}

/** Stops accepting, lets in-flight requests finish for up to 5 s, then drops the rest. */
function stopServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const deadline = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, 5_000);
    deadline.unref();
    server.close(() => {
      clearTimeout(deadline);
      resolve();
    });
    server.closeIdleConnections();
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
