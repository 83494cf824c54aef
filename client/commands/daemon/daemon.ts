/**
 * `authctl daemon [--foreground]` runs the agent (in the background unless --foreground);
 * `authctl daemon stop` asks the running agent to exit. Under a service manager the log
 * goes to the journal (or the unit's stderr) unless `--log` says otherwise.
 */
import { closeSync, readFileSync, writeSync } from 'node:fs';
import { parseCommandArgs } from '../../cli/parse.js';
import { DAEMON_SPEC, DAEMON_STOP_SPEC } from './spec.js';
import type { StartReport } from '../../autostart.js';
import type { StatusResponse } from '../../../shared/api.js';
import { AuthctlError, EXIT } from '../../../shared/errors.js';
import { processPathEnv } from '../../../shared/paths.js';
import type { CommandIO } from '../../io.js';

export async function main(argv: string[], io: CommandIO): Promise<number> {
  if (argv[0] === 'stop') {
    parseCommandArgs(DAEMON_STOP_SPEC, argv.slice(1));
    return stop(io);
  }
  // --report-fd (hidden): the pipe an autostarting CLI reads to learn whether the agent started (client/autostart.ts).
  const { values } = parseCommandArgs(DAEMON_SPEC, argv);
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
  const report = reporter(values['report-fd']);
  try {
    await startAgent({ pathEnv: processPathEnv(io.env), log, handleSignals: true });
    report({ started: true });
  } catch (e) {
    if (e instanceof AuthctlError && e.details.alreadyRunning) report({ alreadyRunning: true });
    else report({ error: e instanceof AuthctlError ? e.code : 'internal', message: (e as Error).message });
    if (e instanceof AuthctlError && e.details.alreadyRunning) {
      // Not an error: two agents on one socket would split the sessions, so the second steps back.
      io.stderr.write(`authctl: ${e.message}; not starting a second one (stop it first with \`authctl daemon stop\`)\n`);
      return EXIT.ok;
    }
    throw e;
  }
  return new Promise<number>(() => undefined); // runs until a signal stops it
}

/** Writes one JSON line to the report pipe and closes it; a reader that went away is no error. */
function reporter(fdText: string | undefined): (report: StartReport) => void {
  if (fdText === undefined) return () => undefined;
  const fd = Number(fdText);
  if (!Number.isInteger(fd) || fd < 3) throw new AuthctlError('usage', '--report-fd must be a file descriptor number of 3 or more');
  return (report) => {
    try {
      writeSync(fd, JSON.stringify(report) + '\n');
    } catch {
      // The starting command gave up already.
    }
    try {
      closeSync(fd);
    } catch {
      // Closed already.
    }
  };
}

/**
 * Stops the agent with SIGTERM, sent to the process the kernel names as the socket's peer
 * (SO_PEERCRED of this connection), never to a pid an answer merely claims: a process of
 * yours squatting the socket could otherwise have any of your processes killed. When the
 * two differ (an impostor, or systemd holding the socket for a socket-activated agent),
 * nothing is signalled.
 */
async function stop(io: CommandIO): Promise<number> {
  const agent = io.agent();
  agent.opts.autostart = false;
  const { peerOf, nativeLoadError, loadNative } = await import('../../../daemon/native.js');
  let answer: { body: StatusResponse; seen: ReturnType<typeof peerOf> };
  try {
    answer = await agent.callInspecting<StatusResponse, ReturnType<typeof peerOf>>('GET', '/v1/status', peerOf);
  } catch (e) {
    // Nothing listens: the agent is stopped already, which is what was asked (as `systemctl stop`).
    if (e instanceof AuthctlError && (e.details.unreachable === 'ENOENT' || e.details.unreachable === 'ECONNREFUSED')) return EXIT.ok;
    throw e;
  }
  const { body: s, seen: peer } = answer;
  const socket = agent.opts.socketPath;
  if (!peer) {
    const why = loadNative() ? 'the kernel did not say' : `the native addon did not load: ${nativeLoadError()?.message ?? 'unknown reason'}`;
    throw new AuthctlError('forbidden', `cannot tell which process serves ${socket} (${why}); not signalling pid ${s.pid} on its own word: check it with \`ps -p ${s.pid}\` and stop it with \`kill ${s.pid}\``);
  }
  const uid = process.geteuid?.() ?? -1;
  if (peer.uid !== uid) throw new AuthctlError('forbidden', `the process serving ${socket} runs as uid ${peer.uid}, not as you (uid ${uid}); not signalling it`);
  if (peer.pid !== s.pid) {
    const manager = processName(peer.pid) === 'systemd';
    throw new AuthctlError(
      'forbidden',
      manager
        ? `${socket} is held by systemd (pid ${peer.pid}) for a socket-activated agent; stop it with \`systemctl --user stop authctl.socket authctl.service\``
        : `the process serving ${socket} is pid ${peer.pid} (as the kernel says), but it answered as pid ${s.pid}; it may not be an authctl agent, so nothing was signalled: look at it with \`ps -p ${peer.pid}\``,
    );
  }
  process.kill(peer.pid, 'SIGTERM');
  io.stderr.write(`Stopped the agent (pid ${peer.pid}).\n`);
  return EXIT.ok;
}

/** Linux: the process's command name, or undefined. */
function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}
