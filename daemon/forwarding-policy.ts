/**
 * The forwarding socket's policy (README "Remote hosts"): a remote host reached through
 * `authctl ssh` is less trusted than the laptop. Per profile `forwarding: false` keeps a
 * profile off remote hosts; logout and OTP enrolment/removal are refused there; privileged
 * tokens always need a fresh OTP (no reuse of an earlier approval); and each connection is
 * labelled once with the ssh destination it came through, for routes and the audit log.
 */
import { readFileSync } from 'node:fs';
import type { Peer, TokenBroker } from './broker/token-broker.js';
import { AuthctlError } from '../shared/errors.js';
import { destinationOfSshArgv } from '../shared/ssh-args.js';
import { profileForRegistry } from '../shared/registry.js';
import { matchProfile, type GitRemote } from '../shared/git-match.js';

/** What routes know about a connection that came through the forwarding socket. */
export interface ForwardedConnection {
  /** The ssh destination as the user typed it (`user@host`, a config alias), or "unknown". */
  destination: string;
  /** The local ssh client that carries the connection. */
  sshPid?: number;
  sshExe?: string;
}

/** Routes a remote host may never use, with what they do (for the error). */
const REFUSED: Record<string, string> = {
  'POST /v1/logout': 'logging out',
  'POST /v1/otp/enroll': 'enrolling a one-time password method',
  'POST /v1/otp/remove': 'removing a one-time password method',
};

/** Routes that act for one profile: the profile's `forwarding` setting decides. */
const PROFILE_ROUTES = new Set(['POST /v1/token', 'POST /v1/login', 'POST /v1/invalidate']);

/**
 * Labels a new connection on the forwarding socket. Its peer is the local ssh client (the
 * kernel's peer credentials name it), whose argv names the destination. The peer handed to
 * routes carries no pid: every remote process shares that one ssh client, so nothing
 * approved for "this process" or "this terminal session" (the privileged-token reuse) may
 * be granted to it, and each privileged request needs its own OTP.
 */
export function labelForwardedPeer(peer: Peer): { peer: Peer; forwarded: ForwardedConnection } {
  // Only an ssh client's argv names a destination; any other process of the user on this socket is "unknown".
  const isSsh = peer.exe !== undefined && /(^|\/)ssh$/.test(peer.exe);
  const destination = peer.pid && isSsh ? sshDestinationOf(peer.pid) : undefined;
  return {
    peer: { uid: peer.uid, exe: peer.exe },
    forwarded: { destination: destination ?? 'unknown', sshPid: peer.pid, sshExe: peer.exe },
  };
}

/** The profile a request acts for, for the policy and the audit log (undefined: none, or unknown). */
export function requestedProfile(route: string, body: unknown, broker: TokenBroker): string | undefined {
  if (!PROFILE_ROUTES.has(route) && !(route in REFUSED)) return undefined;
  const requested = typeof body === 'object' && body !== null && typeof (body as { profile?: unknown }).profile === 'string' ? (body as { profile: string }).profile : undefined;
  // A docker `registry` (or git `gitRequest`) request acts for the profile the token route will pick for it, not the default one.
  const registry = typeof body === 'object' && body !== null ? (body as { registry?: unknown }).registry : undefined;
  if (typeof registry === 'string' && requested === undefined) return profileForRegistry(broker.config(), registry)?.name;
  const gitRequest = typeof body === 'object' && body !== null ? (body as { gitRequest?: unknown }).gitRequest : undefined;
  const git = gitRequest as GitRemote | undefined;
  if (typeof git?.protocol === 'string' && typeof git.host === 'string' && (git.path === undefined || typeof git.path === 'string') && requested === undefined)
    return matchProfile(broker.config(), git);
  try {
    return broker.profile(requested).name;
  } catch {
    return undefined; // the route itself says what is wrong with it
  }
}

/** Throws forwarding_refused when a forwarded connection may not make this request for `profileName`. */
export function admitForwarded(route: string, body: unknown, profileName: string | undefined, broker: TokenBroker, forwarded: ForwardedConnection): void {
  const where = forwarded.destination === 'unknown' ? 'a remote host' : `the remote host ${forwarded.destination}`;
  const refused = REFUSED[route];
  if (refused) {
    throw new AuthctlError('forwarding_refused', `${refused} is not allowed from ${where} (through \`authctl ssh\`): run it on the machine where the agent runs`);
  }
  // The privileged sign-in of a separateGrant profile puts privileged scopes in the agent's
  // memory for hours: it is started where the agent runs, not from a server.
  if (route === 'POST /v1/login' && (body as { privileged?: unknown } | undefined)?.privileged === true) {
    throw new AuthctlError('forwarding_refused', `the privileged sign-in is not allowed from ${where}: run \`authctl login --privileged\` on the machine where the agent runs`);
  }
  if (!PROFILE_ROUTES.has(route) || profileName === undefined) return;
  const profile = broker.profile(profileName);
  if (profile.forwarding === false) {
    throw new AuthctlError(
      'forwarding_refused',
      `profile "${profile.name}" is not available to remote hosts (its config sets "forwarding": false): run the command on the machine where the agent runs`,
    );
  }
}

/** The destination in the argv of the ssh client `pid` (Linux /proc); undefined where it cannot be read. */
function sshDestinationOf(pid: number): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (argv[argv.length - 1] === '') argv.pop();
    return destinationOfSshArgv(argv);
  } catch {
    return undefined;
  }
}
