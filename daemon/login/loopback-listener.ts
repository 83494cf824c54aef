/**
 * The browser flow's redirect target (RFC 8252 §7.3): an HTTP listener on the loopback
 * interface that waits for exactly one authorization response whose `state` is ours.
 * Anything else (another path, a forged or stale `state`) is answered 400 and the listener
 * keeps waiting, so a page that guesses the port cannot end the login. The page it serves
 * carries no code or token, and it stops listening after the one answer, or when aborted.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The answer the login waits for: a code to exchange, or the provider's error (RFC 6749 §4.1.2.1). */
export type CallbackOutcome =
  | { kind: 'code'; url: URL }
  | { kind: 'error'; error: string; description?: string }
  /** RFC 9207 §2.4: the `iss` of the response is not our provider's (or missing where it promised one). */
  | { kind: 'issuer_mismatch'; got?: string };

export interface LoopbackListenerOptions {
  /** The profile's fixed `redirectUri`; default http://127.0.0.1:<random port>/callback. */
  redirectUri?: string;
  state: string;
  issuer: string;
  /** RFC 9207 §3: the provider advertises `authorization_response_iss_parameter_supported`. */
  issRequired: boolean;
  signal: AbortSignal;
}

export interface LoopbackListener {
  redirectUri: string;
  /** Settles with the first callback whose `state` matches; rejects when aborted. */
  outcome: Promise<CallbackOutcome>;
}

export async function startLoopbackListener(opts: LoopbackListenerOptions): Promise<LoopbackListener> {
  const wanted = opts.redirectUri ? new URL(opts.redirectUri) : new URL('http://127.0.0.1/callback');
  // RFC 8252 §8.3: listen on the loopback interface only; "localhost" is bound as 127.0.0.1.
  const bindHost = wanted.hostname === '[::1]' ? '::1' : '127.0.0.1';
  let settle!: (o: CallbackOutcome) => void;
  let fail!: (e: unknown) => void;
  const outcome = new Promise<CallbackOutcome>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  let done = false;
  // The redirect URI as sent (its port known once listening): the code exchange repeats it (RFC 6749 §4.1.3).
  const redirect = new URL(wanted.href);
  const server = createServer((req, res) => {
    const answer = done ? undefined : judge(req, redirect, opts);
    if (!answer) return page(res, 400, 'This is not the sign-in answer authctl is waiting for', 'Nothing was changed. Return to your terminal.');
    done = true;
    const [status, title, text] = answer.kind === 'code' ? [200, 'Signed in', 'authctl has your sign-in. You can close this window and return to your terminal.'] : [400, 'Sign-in failed', describe(answer)];
    page(res, status, title, text, () => {
      server.close();
      server.closeAllConnections();
    });
    settle(answer);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(wanted.port || 0), bindHost, () => resolve());
  }).catch((e: NodeJS.ErrnoException) => {
    throw new Error(`cannot listen on ${wanted.host} for the browser's answer (${e.code ?? e.message})`);
  });
  const port = (server.address() as AddressInfo).port;
  const stop = () => {
    done = true;
    server.close();
    server.closeAllConnections();
    fail(opts.signal.reason ?? new Error('aborted'));
  };
  if (opts.signal.aborted) stop();
  else opts.signal.addEventListener('abort', stop, { once: true });
  outcome.finally(() => opts.signal.removeEventListener('abort', stop)).catch(() => undefined);
  redirect.port = String(port);
  return { redirectUri: redirect.href, outcome };
}

/** The outcome of a request that is the answer we wait for, or undefined (answered 400, keep waiting). */
function judge(req: IncomingMessage, redirect: URL, opts: LoopbackListenerOptions): CallbackOutcome | undefined {
  if (req.method !== 'GET' || !req.url?.startsWith('/')) return undefined;
  const url = new URL(req.url, redirect);
  if (url.pathname !== redirect.pathname) return undefined;
  const q = url.searchParams;
  if (q.getAll('state').length !== 1 || q.get('state') !== opts.state) return undefined;
  const iss = q.get('iss') ?? undefined;
  if ((iss !== undefined && iss !== opts.issuer) || (iss === undefined && opts.issRequired)) return { kind: 'issuer_mismatch', got: iss };
  const error = q.get('error');
  if (error) return { kind: 'error', error: error.slice(0, 100), description: q.get('error_description')?.slice(0, 300) };
  if (!q.get('code')) return undefined;
  return { kind: 'code', url };
}

function describe(o: Exclude<CallbackOutcome, { kind: 'code' }>): string {
  if (o.kind === 'issuer_mismatch') return 'The answer did not come from the identity provider authctl asked. Nothing was saved.';
  return `The identity provider answered: ${o.error}. See your terminal for what to do next.`;
}

function page(res: ServerResponse, status: number, title: string, text: string, then?: () => void): void {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>authctl: ${esc(title)}</title></head><body><main data-page="authctl-${status === 200 ? 'success' : 'error'}"><h1>${esc(title)}</h1><p>${esc(text)}</p></main></body></html>`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // The address bar holds the code: no page this one links to may see it.
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'none'",
    connection: 'close',
  });
  res.end(body, then);
}
