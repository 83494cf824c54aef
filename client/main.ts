/**
 * The authctl CLI entry. It stays thin: parse, talk to the agent, print. Commands are
 * loaded lazily so `authctl token` loads almost nothing (see bench/).
 */
import { EXIT } from '../shared/errors.js';
import { defaultIO, reportError } from './cli-io.js';
import type { CommandIO } from './io.js';

export { defaultIO, reportError };

type CommandMain = (argv: string[], io: CommandIO) => Promise<number>;

const COMMANDS: Record<string, () => Promise<{ main: CommandMain }>> = {
  token: () => import('./commands/token/token.js'),
  login: () => import('./commands/login/login.js'),
  logout: () => import('./commands/logout/logout.js'),
  status: () => import('./commands/status/status.js'),
  profile: () => import('./commands/profile/profile.js'),
  daemon: () => import('./commands/daemon/daemon.js'),
  service: () => import('./commands/service/service.js'),
  otp: () => import('./commands/otp/otp.js'),
  doctor: () => import('./commands/doctor/doctor.js'),
  logs: () => import('./commands/logs/logs.js'),
  exec: () => import('./commands/exec/exec.js'),
  env: () => import('./commands/env/env.js'),
  'git-credential': () => import('./commands/git-credential/git-credential.js'),
  'docker-credential': () => import('./commands/docker-credential/docker-credential.js'),
  kube: () => import('./commands/kube/kube.js'),
  'setup-git': () => import('./commands/setup-git/setup-git.js'),
  'setup-kube': () => import('./commands/setup-kube/setup-kube.js'),
  'setup-docker': () => import('./commands/setup-docker/setup-docker.js'),
  verify: () => import('./commands/verify/verify.js'),
};

const USAGE = `authctl: a credential agent for command-line tools

Usage:
  authctl login   [--profile P] [--issuer URL --client-id ID] [--scope S] [--audience A] [--no-browser] [--verbose] [--json]
  authctl login   --profile P --privileged      (the privileged sign-in of a separateGrant profile)
  authctl logout  [--profile P | --all]
  authctl token   [--profile P] [--scope S]... [--audience A] [--min-valid SECONDS] [--privileged] [--verbose] [--json | --header | --env]
  authctl status  [--json]
  authctl logs    [-f] [-n LINES|all] [--json]                  (the agent's log, redacted)
  authctl profile add NAME --issuer URL --client-id ID [--scope S]... [--audience A] [--resource R] [--param K=V]... [--min-valid N] [--default] [--force]
  authctl profile add NAME --provider auth0|okta|entra|google|github|keycloak|generic|manual [--domain D] [--authorization-server ID]
                  [--tenant T] [--base URL --realm R] [--device-endpoint U --token-endpoint U [--revocation-endpoint U]] [--client-secret S] ...
  authctl profile add NAME --issuer URL --client-id ID --federation github-actions|gitlab|env|file [--federation-audience A]
                  [--variable NAME] [--token-file PATH] [--exchange token-exchange|client-assertion] ...   (CI, no login)
  authctl profile list [--json] | show NAME | use NAME | remove NAME
  authctl verify  [--issuer URL | --profile P] [--audience A] [--scope S]... [TOKEN | -]
  authctl otp     enroll --totp | enroll --yubikey ... | status | remove [--totp | --yubikey]
  authctl daemon  [--foreground] | daemon stop
  authctl service install [--now] [--print] [--system-wide] | uninstall | status
  authctl doctor  (checks the setup; exits with the code of the first problem)
  authctl exec    [--profile P] [--env NAME] [--nested] -- COMMAND [ARGS...]
  authctl env     [--profile P] [--env NAME] [--format sh|fish|json]
  authctl git-credential get|store|erase|capability      (git-credential-authctl)
  authctl setup-git  --host H [--profile P]
  authctl docker-credential get|store|erase|list|version (docker-credential-authctl)
  authctl kube    [--profile P]                          (kubectl exec credential plugin)
  authctl setup-kube --context C [--profile P]
  authctl setup-docker --registry R [--profile P]

Exit codes: 0 ok, 1 unexpected, 2 usage, 3 login required, 4 OTP, 5 identity provider, 6 agent, 7 keychain.
`;

export async function runCli(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    (name ? io.stdout : io.stderr).write(USAGE);
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === '--version' || name === 'version') {
    const { VERSION } = await import('../daemon/version.js');
    io.stdout.write(`authctl ${VERSION}\n`);
    return EXIT.ok;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr.write(`authctl: unknown command "${name}"\n\n${USAGE}`);
    return EXIT.usage;
  }
  try {
    return await (await load()).main(rest, io);
  } catch (e) {
    return reportError(e, io);
  }
}

/** Runs the CLI for this process and sets its exit code. */
export function cliMain(): void {
  const io = defaultIO();
  runCli(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.exitCode = reportError(e, io);
    },
  );
}
