/**
 * The forwarding socket: a second listener beside the main one, for remote hosts reached
 * through `authctl ssh` (its `-R remote:forwarding-socket`). Same server, same peer-uid
 * check (the local ssh client runs as the user), with the forwarding policy in front of
 * every route and every answer audited as remote with the ssh destination.
 */
import { lstatSync, unlinkSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { createAgentServer, type ConnectionLabeller, type ServerDeps } from './server.js';
import { admitForwarded, labelForwardedPeer, requestedProfile, type ForwardedConnection } from './forwarding-policy.js';
import type { Peer } from './broker/token-broker.js';
import type { RouteContext } from './routes/context.js';
import { claimSocketPath, tightenSocket, withPrivateUmask } from './socket-dir.js';

export function createForwardingServer(deps: Omit<ServerDeps, 'connections'>): Server {
  const forwardedBy = new WeakMap<Socket, ForwardedConnection>();
  const profileOf = new WeakMap<IncomingMessage, string>();
  const connections: ConnectionLabeller = {
    label(socket: Socket, peer: Peer) {
      const { peer: routePeer, forwarded } = labelForwardedPeer(peer);
      forwardedBy.set(socket, forwarded);
      return { peer: routePeer, forwarded };
    },
    admit(route: string, ctx: RouteContext) {
      const profile = requestedProfile(route, ctx.body, ctx.broker);
      if (profile) profileOf.set(ctx.req, profile);
      admitForwarded(route, ctx.body, profile, ctx.broker, ctx.forwarded!);
    },
  };
  const server = createAgentServer({ ...deps, connections });
  server.on('request', (req: IncomingMessage, res) => {
    // 'close', not 'finish': a request whose client went away is audited too.
    res.once('close', () => {
      const f = forwardedBy.get(req.socket);
      deps.log.audit({
        event: 'forwarded',
        remote: true,
        destination: f?.destination ?? 'unknown',
        peerPid: f?.sshPid,
        peerExe: f?.sshExe,
        route: `${req.method} ${(req.url ?? '').split('?')[0]}`.slice(0, 120),
        profile: profileOf.get(req),
        status: res.statusCode,
        ...(res.writableFinished ? {} : { answered: false }),
      });
    });
  });
  return server;
}

export interface ForwardingListener {
  path: string;
  close(): Promise<void>;
}

/**
 * Binds the forwarding socket at `path` (in the main socket's private directory, mode 0600)
 * and serves it. A failure is the caller's to log: the main socket works without it.
 */
export async function startForwardingListener(deps: Omit<ServerDeps, 'connections'>, path: string): Promise<ForwardingListener> {
  await claimSocketPath(path);
  const server = createForwardingServer(deps);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    withPrivateUmask(() =>
      server.listen(path, () => {
        server.off('error', reject);
        tightenSocket(path);
        resolve();
      }),
    );
  });
  const inode = lstatSync(path).ino;
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        // Remote requests are cut at shutdown; a refresh they started still finishes in the broker.
        server.close(() => resolve());
        server.closeAllConnections();
        try {
          if (lstatSync(path).ino === inode) unlinkSync(path);
        } catch {
          // Already gone.
        }
      }),
  };
}
