/**
 * The `/v1/login` stream: JSON lines over a long-lived HTTP response. Uses node:http
 * (login is rare, so its load cost does not matter). Destroying the request cancels
 * the flow in the agent.
 */
import { request } from 'node:http';
import type { LoginEvent, LoginRequest } from '../shared/api.js';
import { AuthctlError } from '../shared/errors.js';
import type { AgentClient } from './agent-client.js';

export interface LoginStream {
  events: AsyncIterable<LoginEvent>;
  cancel(): void;
}

export async function openLoginStream(agent: AgentClient, body: LoginRequest): Promise<LoginStream> {
  // Make sure an agent is up (autostart) and the directory is safe before streaming.
  await agent.call('GET', '/v1/status');
  const payload = JSON.stringify(body);
  const req = request({
    socketPath: agent.opts.socketPath,
    method: 'POST',
    path: '/v1/login',
    headers: { host: 'authctl', 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
  });
  req.end(payload);
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', (e) => reject(new AuthctlError('agent_unavailable', `the agent connection failed (${(e as NodeJS.ErrnoException).code ?? e.message})`)));
  });
  if (res.statusCode !== 200) {
    const text = await readAll(res);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { error: 'internal', message: `the agent answered HTTP ${res.statusCode}` };
    }
    throw AuthctlError.fromBody(parsed);
  }
  return { events: lines(res), cancel: () => req.destroy() };
}

async function* lines(res: AsyncIterable<Buffer | string>): AsyncIterable<LoginEvent> {
  let buf = '';
  for await (const chunk of res) {
    buf += chunk.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield JSON.parse(line) as LoginEvent;
    }
  }
}

async function readAll(res: AsyncIterable<Buffer | string>): Promise<string> {
  let s = '';
  for await (const c of res) s += c.toString();
  return s;
}
