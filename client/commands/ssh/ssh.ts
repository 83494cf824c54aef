/**
 * `authctl ssh [ssh arguments...] DESTINATION [COMMAND...]`: the system ssh with this
 * machine's agent forwarded, so authctl on the remote host gets tokens from here and stores
 * nothing there (README "Remote hosts"). ssh runs directly (no local shell) and its exit code
 * is ours. `authctl ssh --print-config HOST` prints the same set-up for ~/.ssh/config.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { StatusResponse } from '../../../shared/api.js';
import { AuthctlError, EXIT } from '../../../shared/errors.js';
import { SshArgsError } from '../../../shared/ssh-args.js';
import type { CommandIO } from '../../io.js';
import { parseCommandArgs, usageError } from '../../cli/parse.js';
import { planSsh, type SshPlan } from './plan.js';
import { SSH_SPEC } from './spec.js';
import { sshConfigLines, validConfigHost } from './print-config.js';

export type SshOptions = { printConfig: string } | { sshArgs: string[] };

const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP'];

/** Everything from the first argument that is not `--print-config` on belongs to ssh. */
export function parseSshCommandArgs(argv: string[]): SshOptions {
  const { values, rest } = parseCommandArgs(SSH_SPEC, argv);
  const host = values['print-config'];
  if (host !== undefined) {
    if (rest.length) throw usageError(SSH_SPEC, '--print-config takes one host and nothing else');
    if (!validConfigHost(host)) throw new AuthctlError('usage', `"${host}" is not a host name for ~/.ssh/config: give one word such as myserver or *.example.com`);
    return { printConfig: host };
  }
  if (!rest.length) throw usageError(SSH_SPEC, 'give the DESTINATION to connect to');
  return { sshArgs: rest };
}

/** The agent's forwarding socket, starting the agent when none runs. */
async function forwardingSocket(io: CommandIO): Promise<string> {
  const s = await io.agent().call<StatusResponse>('GET', '/v1/status');
  if (s.forwarded) throw new AuthctlError('usage', `this shell already uses a forwarded agent (from \`authctl ssh ${s.forwarded.destination}\`); run \`authctl ssh\` on the machine where the agent runs`);
  if (!s.forwardingSocket) throw new AuthctlError('agent_unavailable', 'the agent is not listening on a forwarding socket (see its log): restart it with `authctl daemon stop` and try again');
  return s.forwardingSocket;
}

export async function run(opts: SshOptions, io: CommandIO, stdinIsTTY = Boolean((process.stdin as { isTTY?: boolean }).isTTY)): Promise<number> {
  const local = await forwardingSocket(io);
  if ('printConfig' in opts) {
    io.stdout.write(sshConfigLines(opts.printConfig, local));
    return EXIT.ok;
  }
  let plan: SshPlan;
  try {
    plan = planSsh(opts.sshArgs, local, stdinIsTTY);
  } catch (e) {
    if (e instanceof SshArgsError) throw usageError(SSH_SPEC, e.message);
    throw e;
  }
  return runSsh(plan, io);
}

/** Runs ssh with this terminal; a Ctrl-C goes to ssh (same process group), other signals are passed on. */
function runSsh(plan: SshPlan, io: CommandIO): Promise<number> {
  return new Promise((resolve, reject) => {
    let child: ReturnType<typeof spawn> | undefined;
    const onInterrupt = () => undefined;
    const handlers = FORWARDED.map((sig) => {
      const h = () => child?.kill(sig);
      process.on(sig, h);
      return [sig, h] as const;
    });
    process.on('SIGINT', onInterrupt);
    const cleanup = () => {
      handlers.forEach(([sig, h]) => process.off(sig, h));
      process.off('SIGINT', onInterrupt);
    };
    child = spawn('ssh', plan.args, { stdio: 'inherit', env: io.env as NodeJS.ProcessEnv });
    child.once('error', (e: NodeJS.ErrnoException) => {
      cleanup();
      if (e.code === 'ENOENT') reject(new AuthctlError('usage', 'ssh is not installed (or not on PATH): install OpenSSH\'s client'));
      else reject(e);
    });
    child.once('exit', (code, signal) => {
      cleanup();
      resolve(signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? EXIT.unexpected));
    });
  });
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  return run(parseSshCommandArgs(argv), io);
}
