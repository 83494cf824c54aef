/**
 * `authctl ssh --print-config HOST`: the ~/.ssh/config lines that do what `authctl ssh HOST`
 * does, for plain `ssh`. A config file cannot set a variable in the remote shell without the
 * server's AcceptEnv, so the remote socket has a fixed per-user path (%r: the remote user)
 * and the lines say which line to add on the remote host.
 */
export const CONFIG_REMOTE_SOCKET = '/tmp/authctl-%r.sock';

export function sshConfigLines(host: string, localForwardingSocket: string): string {
  return [
    `# authctl: use this machine's agent on ${host} (\`authctl ssh --print-config ${host}\`)`,
    `# On ${host}, add to your shell's startup file: export AUTHCTL_SOCK=/tmp/authctl-$USER.sock`,
    `Host ${host}`,
    `  RemoteForward ${CONFIG_REMOTE_SOCKET} ${localForwardingSocket}`,
    '  StreamLocalBindUnlink yes',
    '  ExitOnForwardFailure yes',
    '',
  ].join('\n');
}

/** A host pattern for a config file: one word, nothing the config parser would split or expand. */
export function validConfigHost(host: string): boolean {
  return /^[A-Za-z0-9_.*?@:[\]-]+$/.test(host) && !host.startsWith('-');
}
