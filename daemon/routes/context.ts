/** What every route handler receives: the parsed body, the verified peer, and the agent's parts. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Peer, TokenBroker } from '../broker/token-broker.js';
import type { Logger } from '../log.js';
import type { StatusResponse } from '../../shared/api.js';

export interface AgentInfo {
  version: string;
  startedAt: number;
  socket: string;
  peerCheck: StatusResponse['peerCheck'];
  peerCheckProblem?: string;
  network?: StatusResponse['network'];
  storage: StatusResponse['storage'];
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
}

/** A handler returns the JSON answer, or `undefined` when it wrote a stream itself. */
export type RouteHandler = (ctx: RouteContext) => Promise<unknown> | unknown;
