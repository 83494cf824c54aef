/**
 * `authctl daemon [--foreground]` runs the agent (in the background unless --foreground);
 * `authctl daemon stop` asks the running agent to exit. Under a service manager the log
 * goes to the journal (or the unit's stderr) unless `--log` says otherwise.
 */
import { parseArgs } from 'node:util';
import type { StatusResponse } from '../../../shared/api.js';
import { AuthctlError, EXIT } from '../../../shared/errors.js';
import { processPathEnv } from '../../../shared/paths.js';
import type { CommandIO } from '../../io.js';

export async function main(argv: string[], io: CommandIO): Promise<number> {
  if (argv[0] === 'stop') return stop(io);
  const { values } = parseArgs({
    args: argv,
    options: { foreground: { type: 'boolean', default: false }, log: { type: 'string' } },
    strict: true,
  });
  const { serviceLogDestination } = await import('../../../daemon/platform.js');
  const log = values.log ?? serviceLogDestination(io.env) ?? (values.foreground ? 'stderr' : 'file');
  if (log !== 'stderr' && log !== 'file' && log !== 'journal') throw new AuthctlError('usage', '--log must be "stderr", "file" or "journal"');
  if (!values.foreground) {
    const agent = io.agent();
    if (await agent.reachable()) {
      io.stderr.write(`An agent is already running on ${agent.opts.socketPath}.\n`);
      return EXIT.ok;
    }
    const { startAgent } = await import('../../autostart.js');
    await startAgent(agent.opts.socketPath, () => agent.reachable());
    io.stderr.write(`Started the agent on ${agent.opts.socketPath}.\n`);
    return EXIT.ok;
  }
  const { startAgent } = await import('../../../daemon/agent.js');
  try {
    await startAgent({ pathEnv: processPathEnv(io.env), log, handleSignals: true });
  } catch (e) {
    if (e instanceof AuthctlError && e.details.alreadyRunning) {
      // Not an error: two agents on one socket would split the sessions, so the second steps back.
      io.stderr.write(`authctl: ${e.message}; not starting a second one (stop it first with \`authctl daemon stop\`)\n`);
      return EXIT.ok;
    }
    throw e;
  }
  return new Promise<number>(() => undefined); // runs until a signal stops it
}

async function stop(io: CommandIO): Promise<number> {
  const agent = io.agent();
  agent.opts.autostart = false;
  const s = await agent.call<StatusResponse>('GET', '/v1/status');
  process.kill(s.pid, 'SIGTERM');
  io.stderr.write(`Stopped the agent (pid ${s.pid}).\n`);
  return EXIT.ok;
}
