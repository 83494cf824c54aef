/**
 * The Node client library: `import { getToken } from 'authctl/client'`. It talks to the
 * agent socket directly through the same client as the CLI (no process spawn, and an agent
 * is started when none answers unless AUTHCTL_NO_AUTOSTART=1), and throws typed errors that
 * match the CLI's exit codes. It loads nothing of the CLI. The socket API itself is
 * documented in docs/socket-api.md, for tools in other languages.
 */
import type { StatusResponse, TokenRequest, TokenResponse } from '../../shared/api.js';
import { processPathEnv, socketPath as defaultSocketPath } from '../../shared/paths.js';
import { AgentClient } from '../agent-client.js';
import { toTypedError } from './errors.js';

export * from './errors.js';
export type { StatusResponse, TokenRequest, TokenResponse };

export interface ClientOptions {
  /** Default: $AUTHCTL_SOCK, else the per-user location (DESIGN.md). */
  socketPath?: string;
  /** Start an agent when none answers (default: unless AUTHCTL_NO_AUTOSTART=1). */
  autostart?: boolean;
  /** The environment to read AUTHCTL_* settings from (default: process.env). */
  env?: Record<string, string | undefined>;
}

export type GetTokenOptions = TokenRequest & ClientOptions;

/**
 * An access token with at least `minValidSeconds` left (the profile's default otherwise).
 * With AUTHCTL_TOKEN set (a pre-issued token in CI) it returns that, as `authctl token` does.
 */
export async function getToken(opts: GetTokenOptions = {}): Promise<TokenResponse> {
  const { socketPath, autostart, env = process.env, ...request } = opts;
  if (env.AUTHCTL_TOKEN) return { accessToken: env.AUTHCTL_TOKEN, tokenType: 'Bearer', expiresAt: 0, scopes: [], profile: '' };
  if (!request.profile && env.AUTHCTL_PROFILE) request.profile = env.AUTHCTL_PROFILE;
  return call<TokenResponse>({ socketPath, autostart, env }, 'POST', '/v1/token', request);
}

/** The agent's status: version, storage, each profile's state (never a secret). */
export function getStatus(opts: ClientOptions = {}): Promise<StatusResponse> {
  return call<StatusResponse>(opts, 'GET', '/v1/status');
}

/** Forgets the profile's cached access tokens, after a server rejected one, so the next getToken refreshes. */
export async function invalidateToken(opts: ClientOptions & { profile?: string } = {}): Promise<void> {
  const { profile, ...client } = opts;
  await call(client, 'POST', '/v1/invalidate', profile ? { profile } : {});
}

/**
 * One client per socket per process. The first request goes alone, so that concurrent
 * first calls start at most one agent; afterwards requests run in parallel and share the
 * agent's cache.
 */
class SharedClient {
  private first?: Promise<unknown>;
  constructor(private readonly agent: AgentClient) {}

  async call<T>(method: 'GET' | 'POST', path: string, body: unknown, env: Record<string, string | undefined>): Promise<T> {
    if (!this.first) {
      const request = this.agent.call<T>(method, path, body, env);
      this.first = request.catch(() => undefined);
      return request;
    }
    await this.first;
    return this.agent.call<T>(method, path, body, env);
  }
}

const clients = new Map<string, SharedClient>();

async function call<T>(opts: ClientOptions, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const env = opts.env ?? process.env;
  const socket = opts.socketPath ?? defaultSocketPath(processPathEnv(env));
  const autostart = opts.autostart ?? env.AUTHCTL_NO_AUTOSTART !== '1';
  const key = `${autostart ? '+' : '-'}${socket}`;
  let client = clients.get(key);
  if (!client) clients.set(key, (client = new SharedClient(new AgentClient({ socketPath: socket, autostart }))));
  try {
    return await client.call<T>(method, path, body, env);
  } catch (e) {
    throw toTypedError(e);
  }
}
