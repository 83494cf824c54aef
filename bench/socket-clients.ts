/**
 * Two ways to call the agent socket: one connection per request over `node:net` (what every
 * `authctl token` process does), and a keep-alive `node:http` client (what a long-running
 * program that talks to the socket directly would do).
 */
import { Agent, request } from 'node:http';
import { connect } from 'node:net';

export interface Answer<T = unknown> {
  status: number;
  body: T;
}

/**
 * One request on a fresh connection (`Connection: close`), the CLI's way. It writes without
 * half-closing: node's HTTP server answers a half-closed connection by closing it, so a request
 * whose answer is not immediate (a refresh) would get no answer at all.
 */
export function oneShot<T = unknown>(socketPath: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer<T>> {
  const payload = body === undefined ? '' : JSON.stringify(body);
  const head =
    `${method} ${path} HTTP/1.1\r\nHost: authctl\r\nConnection: close\r\n` +
    (payload ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n` : '') +
    '\r\n';
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    const chunks: Buffer[] = [];
    sock.once('connect', () => sock.write(head + payload));
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.once('error', reject);
    sock.once('close', (hadError) => {
      if (hadError) return; // 'error' already rejected
      const raw = Buffer.concat(chunks);
      const end = raw.indexOf('\r\n\r\n');
      if (end < 0) return reject(new Error(`connection closed without an answer (${raw.length} bytes)`));
      const status = Number(raw.subarray(0, raw.indexOf('\r\n')).toString('latin1').split(' ')[1]);
      const text = raw.subarray(end + 4).toString('utf8');
      try {
        resolve({ status, body: (text ? JSON.parse(text) : undefined) as T });
      } catch {
        reject(new Error(`HTTP ${status} with a body that is not JSON`));
      }
    });
  });
}

export interface KeepAliveClient {
  call<T = unknown>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer<T>>;
  close(): void;
}

export function keepAliveClient(socketPath: string, maxSockets = 1): KeepAliveClient {
  const agent = new Agent({ keepAlive: true, maxSockets });
  return {
    call<T>(method: 'GET' | 'POST', path: string, body?: unknown) {
      const payload = body === undefined ? '' : JSON.stringify(body);
      return new Promise<Answer<T>>((resolve, reject) => {
        const req = request(
          {
            agent,
            socketPath,
            method,
            path,
            headers: payload
              ? { host: 'authctl', 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
              : { host: 'authctl' },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', reject);
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              try {
                resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T });
              } catch {
                reject(new Error(`HTTP ${res.statusCode} with a body that is not JSON`));
              }
            });
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    },
    close: () => agent.destroy(),
  };
}
