/**
 * The ssh command line `authctl ssh` runs (pure, so tests check it word by word): the
 * user's options and destination as given, plus a unix-socket remote forward from a fresh
 * path in the remote /tmp to the agent's forwarding socket, and the remote command wrapped
 * so it (or the login shell) starts with AUTHCTL_SOCK set, without relying on AcceptEnv.
 */
import { randomBytes } from 'node:crypto';
import { parseSshArgs, shellQuote, type SshCommandLine } from '../../../shared/ssh-args.js';

export interface SshPlan {
  /** ssh's argv, without the program. */
  args: string[];
  destination: string;
  /** Where the agent appears on the remote host. */
  remoteSocket: string;
}

/** A path nobody can guess ahead of time (a squatter on it would only break the forward). */
export function freshRemoteSocketPath(): string {
  return `/tmp/authctl-${randomBytes(12).toString('hex')}.sock`;
}

/**
 * Runs on the remote host under sh, whatever the login shell is (the words are single-quoted,
 * which sh, bash, zsh, fish and csh all read alike): sets AUTHCTL_SOCK, runs the command with
 * the user's own shell as ssh would (or a login shell), and removes the forwarded socket
 * afterwards, because sshd leaves it behind when the session ends.
 */
const REMOTE_SCRIPT =
  'AUTHCTL_SOCK="$1"; export AUTHCTL_SOCK; ' +
  'if [ -n "$2" ]; then "${SHELL:-/bin/sh}" -c "$2"; else "${SHELL:-/bin/sh}" -l; fi; ' +
  'status=$?; rm -f "$AUTHCTL_SOCK"; exit $status';

export function remoteCommand(line: SshCommandLine, remoteSocket: string): string | undefined {
  if (line.flags.has('N')) return undefined;
  // ssh joins the command's words with spaces and hands them to the remote shell: so do we.
  return ['sh', '-c', REMOTE_SCRIPT, 'authctl-ssh', remoteSocket, line.command.join(' ')].map(forAnyShell).join(' ');
}

/** Single quotes around every word; the script and paths hold no backslash, so fish reads them as sh does. */
function forAnyShell(word: string): string {
  return word === '' ? "''" : shellQuote(word);
}

export function planSsh(argv: readonly string[], localForwardingSocket: string, stdinIsTTY: boolean, remoteSocket = freshRemoteSocketPath()): SshPlan {
  const line = parseSshArgs(argv);
  const own = ['-o', 'StreamLocalBindUnlink=yes', '-o', 'ExitOnForwardFailure=yes', '-R', `${remoteSocket}:${localForwardingSocket}`];
  // An interactive shell needs the terminal that ssh gives one by itself when no command is given.
  const wantsTerminal = !line.command.length && stdinIsTTY && !line.flags.has('T') && !line.flags.has('t') && !line.flags.has('N');
  if (wantsTerminal) own.push('-t');
  const command = remoteCommand(line, remoteSocket);
  // `--` among the user's options must stay right before the destination.
  const options = line.options.filter((o) => o !== '--');
  const terminated = line.options.includes('--');
  return {
    args: [...own, ...options, ...(terminated ? ['--'] : []), line.destination, ...(command === undefined ? [] : [command])],
    destination: line.destination,
    remoteSocket,
  };
}
