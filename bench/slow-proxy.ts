/**
 * A tiny loopback HTTP CONNECT proxy that can hold token-endpoint requests for a while.
 *
 * Why a proxy: the test IdP's issuer is its own http://127.0.0.1:<port>, and discovery must
 * match it, so a profile cannot simply point at a delaying reverse proxy. The agent's
 * transport honours HTTP_PROXY / NO_PROXY (undici EnvHttpProxyAgent, which tunnels with
 * CONNECT), so the bench gives the agent HTTP_PROXY=<this proxy> and NO_PROXY for every
 * IdP except the slow one: only the slow IdP's traffic passes here, with its real issuer.
 *
 * While `hold(ms)` is on, any client→IdP chunk carrying `POST /token ` (the token endpoint,
 * not /token/revocation) waits that long before it is forwarded; chunks behind it keep
 * their order. Everything else passes through untouched.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import type { AddressInfo } from 'node:net';

export interface SlowProxy {
  url: string;
  /** Hold token-endpoint requests for `ms` from now on (0: pass them at once). */
  hold(ms: number): void;
  /** Token-endpoint requests currently being held. */
  held(): number;
  /** Token-endpoint requests seen in total. */
  tokenRequests(): number;
  close(): Promise<void>;
}

export async function startSlowProxy(): Promise<SlowProxy> {
  let holdMs = 0;
  let held = 0;
  let tokenRequests = 0;
  const sockets = new Set<Socket>();

  const delayTokenRequests = () =>
    new Transform({
      transform(chunk: Buffer, _enc, done: TransformCallback) {
        if (!chunk.includes('POST /token ')) return done(null, chunk);
        tokenRequests += 1;
        if (holdMs <= 0) return done(null, chunk);
        held += 1;
        setTimeout(() => {
          held -= 1;
          done(null, chunk);
        }, holdMs);
      },
    });

  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 8192) client.destroy();
        return;
      }
      client.off('data', onData);
      const requestLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
      const rest = head.subarray(end + 4);
      const m = /^CONNECT ([^\s:]+|\[[^\]]+\]):(\d+) HTTP\/1\.[01]$/.exec(requestLine);
      if (!m) {
        client.end('HTTP/1.1 501 Not Implemented\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      // Loopback only: this proxy exists for the bench's own IdPs.
      if (!/^127\.|^\[::1\]$|^localhost$/.test(m[1]!)) {
        client.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const upstream = connect(Number(m[2]), m[1]!.replace(/^\[|\]$/g, ''));
      sockets.add(upstream);
      upstream.on('close', () => {
        sockets.delete(upstream);
        client.destroy();
      });
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.once('connect', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        const toUpstream = delayTokenRequests();
        toUpstream.pipe(upstream);
        if (rest.length) toUpstream.write(rest);
        client.pipe(toUpstream);
        upstream.pipe(client);
      });
    };
    client.on('data', onData);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hold: (ms) => {
      holdMs = ms;
    },
    held: () => held,
    tokenRequests: () => tokenRequests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
