/** What every route handler receives: the parsed body, the verified peer, and the agent's parts. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Peer, TokenBroker } from '../broker/token-broker.js';
import type { Logger } from '../log.js';
import type { StatusResponse } from '../../shared/api.js';
import type { ForwardedConnection } from '../forwarding-policy.js';

export interface AgentInfo {
  version: string;
  startedAt: number;
  socket: string;
  peerCheck: StatusResponse['peerCheck'];
  peerCheckProblem?: string;
  network?: StatusResponse['network'];
  storage: StatusResponse['storage'];
  /** The forwarding socket for `authctl ssh`, when the agent listens on one. */
  forwardingSocket?: string;
  log?: StatusResponse['log'];
}

export interface RouteContext {
  body: unknown;
  peer: Peer;
  broker: TokenBroker;
  log: Logger;
  agent: AgentInfo;
  req: IncomingMessage;
  res: ServerResponse;
  /**
   * Set when the request came through the forwarding socket (a remote host via `authctl ssh`):
   * the ssh destination it came through. `viaForwarding` is `forwarded !== undefined`.
   */
  forwarded?: ForwardedConnection;
}

/** A handler returns the JSON answer, or `undefined` when it wrote a stream itself. */
export type RouteHandler = (ctx: RouteContext) => Promise<unknown> | unknown;
