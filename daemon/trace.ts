/**
 * `--verbose` on `authctl token` and `authctl login`: the agent's steps for that one request
 * (provider calls, retries, cache decisions), handed back with the answer. A request that
 * did not ask runs without a trace: `step` then costs one AsyncLocalStorage lookup and
 * builds no text. Steps name hosts, paths, statuses and decisions, never a token, code or
 * secret (URLs lose their query string; messages are the ones already shown to people).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

type Sink = (line: string) => void;

const current = new AsyncLocalStorage<{ started: number; sink: Sink }>();

/** Records a step of the request being traced, if any; `text` is built only then. */
export function step(text: () => string): void {
  const t = current.getStore();
  if (t) t.sink(`+${Date.now() - t.started}ms ${text()}`);
}

export function tracing(): boolean {
  return current.getStore() !== undefined;
}

/** Runs `fn` with its steps sent to `sink`. */
export function withTrace<T>(sink: Sink, fn: () => Promise<T>): Promise<T> {
  return current.run({ started: Date.now(), sink }, fn);
}

/** A URL as a step may show it: no query string, no fragment, no credentials. */
export function traceUrl(url: string): string {
  const u = URL.parse(url);
  return u ? `${u.protocol}//${u.host}${u.pathname}` : '(a URL)';
}
