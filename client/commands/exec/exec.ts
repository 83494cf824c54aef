/**
 * `authctl exec [--profile P] [--env NAME] [--nested] -- COMMAND [ARGS...]`: runs COMMAND
 * with the token in its environment (see ../env/token-env.ts), forwards signals to it, and
 * ends the way it ended: its exit code, or the same signal. Inside another `authctl exec`
 * (AUTHCTL_EXEC is set) it refuses unless --nested, as aws-vault does: a nested run would
 * silently shadow the outer token.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { parseCommandArgs } from '../../cli/parse.js';
import { EXEC_SPEC } from './spec.js';
import { AuthctlError, EXIT } from '../../../shared/errors.js';
import type { CommandIO } from '../../io.js';
import { tokenEnvironment, type TokenEnvOptions } from '../env/token-env.js';
import { terminalSafe } from '../../../shared/terminal-text.js';

/** Set in the child's environment to the profile; its presence is the nesting guard. */
export const EXEC_MARKER = 'AUTHCTL_EXEC';
/** What shells and env(1) answer for a command that is missing or not executable. */
const NOT_FOUND = 127;
const NOT_EXECUTABLE = 126;
const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export interface ExecOptions extends TokenEnvOptions {
  nested: boolean;
  command: string[];
}

export type ExecOutcome = { code: number } | { signal: NodeJS.Signals };

export function checkNesting(opts: ExecOptions, env: CommandIO['env']): void {
  const outer = env[EXEC_MARKER];
  if (outer !== undefined && !opts.nested) {
    throw new AuthctlError(
      'usage',
      `already inside \`authctl exec\`${outer ? ` for profile "${outer}"` : ''} (${EXEC_MARKER} is set), so the token is already in the environment; add --nested to run another one anyway`,
    );
  }
}

export async function run(opts: ExecOptions, io: CommandIO): Promise<ExecOutcome> {
  if (!opts.command.length) throw new AuthctlError('usage', 'nothing to run: authctl exec [--profile P] [--env NAME] -- COMMAND [ARGS...]');
  checkNesting(opts, io.env);
  const { profile, vars } = await tokenEnvironment(opts, io);
  const env = { ...io.env, ...Object.fromEntries(vars), [EXEC_MARKER]: profile };
  return runChild(opts.command, env, io);
}

function runChild(command: string[], env: CommandIO['env'], io: CommandIO): Promise<ExecOutcome> {
  return new Promise((resolve, reject) => {
    // A terminal's Ctrl-C / Ctrl-\ already reaches the child (same process group): only keep
    // authctl alive then. Signals sent to authctl alone (kill, a supervisor) are passed on.
    // The handlers go in before the spawn: a signal arriving in between would otherwise
    // take Node's default action and kill authctl, leaving the child orphaned.
    const fromTerminal = Boolean((process.stdin as { isTTY?: boolean }).isTTY);
    let child: ReturnType<typeof spawn> | undefined;
    const pending: NodeJS.Signals[] = [];
    const handlers = FORWARDED.map((sig) => {
      const handler = () => {
        if ((sig === 'SIGINT' || sig === 'SIGQUIT') && fromTerminal) return;
        if (child) child.kill(sig);
        else pending.push(sig);
      };
      process.on(sig, handler);
      return [sig, handler] as const;
    });
    const cleanup = () => handlers.forEach(([sig, h]) => process.off(sig, h));
    child = spawn(command[0]!, command.slice(1), { stdio: 'inherit', env });
    for (const sig of pending) child.kill(sig);
    child.once('error', (e: NodeJS.ErrnoException) => {
      cleanup();
      if (e.code === 'ENOENT') {
        io.stderr.write(`authctl: command not found: ${terminalSafe(command[0])}\n`);
        resolve({ code: NOT_FOUND });
      } else if (e.code === 'EACCES') {
        io.stderr.write(`authctl: cannot run ${terminalSafe(command[0])}: permission denied\n`);
        resolve({ code: NOT_EXECUTABLE });
      } else reject(e);
    });
    child.once('exit', (code, signal) => {
      cleanup();
      resolve(signal ? { signal } : { code: code ?? EXIT.unexpected });
    });
  });
}

export function parseExecArgs(argv: string[], env: CommandIO['env']): ExecOptions {
  // `authctl exec cmd args` works too; the options after the command belong to the command.
  const { values, rest: command } = parseCommandArgs(EXEC_SPEC, argv);
  return { profile: values.profile ?? (env.AUTHCTL_PROFILE || undefined), envName: values.env, nested: values.nested, command };
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const outcome = await run(parseExecArgs(argv, io.env), io);
  if ('code' in outcome) return outcome.code;
  // End the way the child ended: the same signal, with the default action restored.
  process.removeAllListeners(outcome.signal);
  process.kill(process.pid, outcome.signal);
  // A signal whose default is to be ignored (or that Node ignores) lands here.
  return 128 + (constants.signals[outcome.signal] ?? 0);
}
