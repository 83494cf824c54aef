/**
 * The process side of every command: real streams and the agent client for `run`, and
 * how an error becomes a message and an exit code. Shared by the full CLI and the
 * bundled `authctl token` fast path.
 */
import { AuthctlError, EXIT, exitCodeFor } from '../shared/errors.js';
import { processPathEnv, socketPath } from '../shared/paths.js';
import { AgentClient } from './agent-client.js';
import type { CommandIO } from './io.js';

export function defaultIO(env = process.env): CommandIO {
  let client: AgentClient | undefined;
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env,
    stderrIsTTY: Boolean(process.stderr.isTTY),
    agent: () =>
      (client ??= new AgentClient({ socketPath: socketPath(processPathEnv(env)), autostart: env.AUTHCTL_NO_AUTOSTART !== '1' })),
  };
}

export function reportError(e: unknown, io: CommandIO): number {
  if (e instanceof AuthctlError) {
    io.stderr.write(`authctl: ${e.message}\n`);
    return exitCodeFor(e.code);
  }
  const err = e as Error & { code?: string };
  if (err?.code?.startsWith('ERR_PARSE_ARGS')) {
    io.stderr.write(`authctl: ${err.message}\nRun \`authctl help\` for usage.\n`);
    return EXIT.usage;
  }
  io.stderr.write(`authctl: unexpected error: ${err?.message ?? String(e)}\n`);
  if (io.env.AUTHCTL_DEBUG) io.stderr.write(`${err?.stack}\n`);
  return EXIT.unexpected;
}

