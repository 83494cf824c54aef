/**
 * The process side of every command: real streams and the agent client for `run`, and
 * how an error becomes a message and an exit code. Shared by the full CLI and the
 * bundled `authctl token` fast path.
 */
import { AuthctlError, EXIT, exitCodeFor, nextStepFor } from '../shared/errors.js';
import { agentLogFile, processPathEnv, socketPath } from '../shared/paths.js';
import { AgentClient } from './agent-client.js';
import type { CommandIO } from './io.js';
import { terminalSafe, terminalSafeLines } from '../shared/terminal-text.js';
import { colourWanted, styleFor } from './style.js';

export function defaultIO(env = process.env): CommandIO {
  let client: AgentClient | undefined;
  // Getters: opening a process stream costs a handle and a few milliseconds, and
  // `authctl token` never reads stdin nor writes stderr when all goes well.
  return {
    get stdin() {
      return process.stdin;
    },
    get stdout() {
      return process.stdout;
    },
    get stderr() {
      return process.stderr;
    },
    env,
    get stderrIsTTY() {
      return Boolean(process.stderr.isTTY);
    },
    agent: () =>
      (client ??= new AgentClient({ socketPath: socketPath(processPathEnv(env)), autostart: env.AUTHCTL_NO_AUTOSTART !== '1', env })),
  };
}

export function reportError(e: unknown, io: CommandIO): number {
  // On a terminal the reason gets a red X (style.ts); in a pipe or log the text stays as tools parse it.
  const prefix = colourWanted(io.env, io.stderrIsTTY) ? `${styleFor(io.stderr, { CLICOLOR_FORCE: '1' }).mark('fail')} authctl` : 'authctl';
  if (e instanceof AuthctlError) {
    const next = nextStepFor(e.code, e.message, agentLogFile(processPathEnv(io.env)));
    io.stderr.write(`${prefix}: ${terminalSafeLines(e.message)}\n${next ? `${next}\n` : ''}`);
    return exitCodeFor(e.code);
  }
  const err = e as Error & { code?: string };
  if (err?.code?.startsWith('ERR_PARSE_ARGS')) {
    io.stderr.write(`${prefix}: ${terminalSafe(err.message)}\nRun \`authctl help\` for usage.\n`);
    return EXIT.usage;
  }
  io.stderr.write(`${prefix}: unexpected error: ${terminalSafeLines(err?.message ?? String(e))}\n`);
  if (!io.env.AUTHCTL_DEBUG) io.stderr.write(`Run it again with AUTHCTL_DEBUG=1 for details; the agent's log: ${agentLogFile(processPathEnv(io.env))}.\n`);
  if (io.env.AUTHCTL_DEBUG) io.stderr.write(`${terminalSafeLines(err?.stack)}\n`);
  return EXIT.unexpected;
}

