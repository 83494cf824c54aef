/**
 * `authctl logs [-f] [-n LINES] [--json]`: the agent's log (already redacted by the agent:
 * no token is ever written there), newest last, as readable lines. `-f` follows it, across
 * rotations, until interrupted. An agent that logs to the journal is read with journalctl.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { parseCommandArgs } from '../../cli/parse.js';
import { LOGS_SPEC } from './spec.js';
import type { StatusResponse } from '../../../shared/api.js';
import { AuthctlError, EXIT } from '../../../shared/errors.js';
import { agentLogFile, processPathEnv } from '../../../shared/paths.js';
import { terminalSafe } from '../../../shared/terminal-text.js';
import { AgentClient } from '../../agent-client.js';
import type { CommandIO } from '../../io.js';

export interface LogsOptions {
  follow: boolean;
  /** How many of the last lines to show first (all: Infinity). */
  lines: number;
  json: boolean;
}

const POLL_MS = 250;

export async function run(opts: LogsOptions, io: CommandIO, signal?: AbortSignal): Promise<number> {
  const where = await logDestination(io);
  if (where.kind === 'journal') {
    io.stderr.write('The agent logs to the journal: run `journalctl --user -u authctl` (add -f to follow).\n');
    return EXIT.ok;
  }
  if (where.kind !== 'file') {
    io.stderr.write(`The running agent writes its log to ${where.kind === 'stderr' ? 'its own stderr (it was started with --log stderr)' : 'nowhere (--log silent)'}; restart it with \`authctl daemon\` to log to a file.\n`);
    return EXIT.ok;
  }
  const path = where.path;
  if (!existsSync(path) && !opts.follow) {
    io.stderr.write(`No agent log yet at ${path}: the agent writes it once it runs (\`authctl daemon\`).\n`);
    return EXIT.ok;
  }
  const show = (line: string) => {
    if (line) io.stdout.write((opts.json ? line : readable(line)) + '\n');
  };
  let { offset, inode, rest } = readFrom(path, 0, undefined, '');
  const first = rest.split('\n');
  rest = first.pop() ?? '';
  for (const line of first.slice(Math.max(0, first.length - opts.lines))) show(line);
  if (!opts.follow) return EXIT.ok;
  return new Promise<number>((resolve) => {
    const timer = setInterval(() => {
      ({ offset, inode, rest } = readFrom(path, offset, inode, rest));
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) show(line);
    }, POLL_MS);
    signal?.addEventListener('abort', () => {
      clearInterval(timer);
      resolve(EXIT.ok);
    });
  });
}

/** Where the agent logs: it says so when it runs; otherwise the file an autostarted agent uses. */
async function logDestination(io: CommandIO): Promise<NonNullable<StatusResponse['log']>> {
  const fallback = { kind: 'file' as const, path: agentLogFile(processPathEnv(io.env)) };
  try {
    const client = new AgentClient({ ...io.agent().opts, autostart: false });
    return (await client.call<StatusResponse>('GET', '/v1/status')).log ?? fallback;
  } catch {
    return fallback;
  }
}

/** New bytes of `path` since `offset`; a rotated (new inode) or truncated file is read from its start. */
function readFrom(path: string, offset: number, inode: number | undefined, rest: string): { offset: number; inode?: number; rest: string } {
  let st;
  try {
    st = statSync(path);
  } catch {
    return { offset: 0, inode: undefined, rest }; // between a rotation's rename and the new file
  }
  if (inode !== undefined && (st.ino !== inode || st.size < offset)) offset = 0;
  if (st.size <= offset) return { offset, inode: st.ino, rest };
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(st.size - offset);
    const n = readSync(fd, buf, 0, buf.length, offset);
    return { offset: offset + n, inode: st.ino, rest: rest + buf.subarray(0, n).toString('utf8') };
  } finally {
    closeSync(fd);
  }
}

/** A JSON log line as `TIME LEVEL message key=value ...`; anything else as it is. */
export function readable(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line);
  } catch {
    return terminalSafe(line);
  }
  const { timestamp, level, message, ...meta } = entry;
  const fields = Object.entries(meta).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return terminalSafe([timestamp, String(level ?? '').toUpperCase().padEnd(5), message, ...fields].filter((x) => x !== undefined && x !== '').join(' '));
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseCommandArgs(LOGS_SPEC, argv);
  const raw = values.lines;
  if (raw !== 'all' && !/^\d+$/.test(raw)) throw new AuthctlError('usage', `--lines must be a number of lines or "all" (e.g. -n 50), not "${raw}"`);
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await run({ follow: values.follow, lines: raw === 'all' ? Infinity : Number(raw), json: values.json }, io, abort.signal);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
