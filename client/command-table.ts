/**
 * The command table: every command's spec (kept next to its code, in
 * client/commands/<verb>/spec.ts) and how to load its code. Help, the man page, the README's
 * CLI contract, shell completion and the argument parser all read it. Adding a command is
 * one line here plus its folder; adding a flag is one entry in its spec.ts.
 */
import type { CommandIO } from './io.js';
import type { CommandGroup, CommandSpec } from './cli/spec.js';
import { COMPLETE_SPEC, COMPLETION_SPEC } from './commands/completion/spec.js';
import { DAEMON_SPEC } from './commands/daemon/spec.js';
import { DOCKER_CREDENTIAL_SPEC } from './commands/docker-credential/spec.js';
import { DOCTOR_SPEC } from './commands/doctor/spec.js';
import { ENV_SPEC } from './commands/env/spec.js';
import { EXEC_SPEC } from './commands/exec/spec.js';
import { GIT_CREDENTIAL_SPEC } from './commands/git-credential/spec.js';
import { HELP_SPEC, VERSION_SPEC } from './commands/help/spec.js';
import { KUBE_SPEC } from './commands/kube/spec.js';
import { LOGIN_SPEC } from './commands/login/spec.js';
import { LOGOUT_SPEC } from './commands/logout/spec.js';
import { OTP_SPEC } from './commands/otp/spec.js';
import { PROFILE_SPEC } from './commands/profile/spec.js';
import { SERVICE_SPEC } from './commands/service/spec.js';
import { SSH_SPEC } from './commands/ssh/spec.js';
import { SETUP_DOCKER_SPEC } from './commands/setup-docker/spec.js';
import { LOGS_SPEC } from './commands/logs/spec.js';
import { SETUP_GIT_SPEC } from './commands/setup-git/spec.js';
import { SETUP_KUBE_SPEC } from './commands/setup-kube/spec.js';
import { STATUS_SPEC } from './commands/status/spec.js';
import { TOKEN_SPEC } from './commands/token/spec.js';
import { VERIFY_SPEC } from './commands/verify/spec.js';

export type CommandMain = (argv: string[], io: CommandIO) => Promise<number>;

export interface CommandEntry {
  spec: CommandSpec;
  /** Loaded only when run, so `authctl status` does not load login's code. */
  load: () => Promise<{ main: CommandMain }>;
}

/** In the order the overview and the man page list them. */
export const COMMAND_TABLE: readonly CommandEntry[] = [
  { spec: LOGIN_SPEC, load: () => import('./commands/login/login.js') },
  { spec: LOGOUT_SPEC, load: () => import('./commands/logout/logout.js') },
  { spec: STATUS_SPEC, load: () => import('./commands/status/status.js') },
  { spec: TOKEN_SPEC, load: () => import('./commands/token/token.js') },
  { spec: ENV_SPEC, load: () => import('./commands/env/env.js') },
  { spec: EXEC_SPEC, load: () => import('./commands/exec/exec.js') },
  { spec: VERIFY_SPEC, load: () => import('./commands/verify/verify.js') },
  { spec: PROFILE_SPEC, load: () => import('./commands/profile/profile.js') },
  { spec: SETUP_GIT_SPEC, load: () => import('./commands/setup-git/setup-git.js') },
  { spec: SETUP_KUBE_SPEC, load: () => import('./commands/setup-kube/setup-kube.js') },
  { spec: SETUP_DOCKER_SPEC, load: () => import('./commands/setup-docker/setup-docker.js') },
  { spec: GIT_CREDENTIAL_SPEC, load: () => import('./commands/git-credential/git-credential.js') },
  { spec: DOCKER_CREDENTIAL_SPEC, load: () => import('./commands/docker-credential/docker-credential.js') },
  { spec: KUBE_SPEC, load: () => import('./commands/kube/kube.js') },
  { spec: SSH_SPEC, load: () => import('./commands/ssh/ssh.js') },
  { spec: DAEMON_SPEC, load: () => import('./commands/daemon/daemon.js') },
  { spec: SERVICE_SPEC, load: () => import('./commands/service/service.js') },
  { spec: LOGS_SPEC, load: () => import('./commands/logs/logs.js') },
  { spec: DOCTOR_SPEC, load: () => import('./commands/doctor/doctor.js') },
  { spec: OTP_SPEC, load: () => import('./commands/otp/otp.js') },
  { spec: COMPLETION_SPEC, load: () => import('./commands/completion/completion.js') },
  { spec: COMPLETE_SPEC, load: () => import('./commands/completion/complete.js') },
  { spec: HELP_SPEC, load: () => import('./commands/help/help.js') },
  { spec: VERSION_SPEC, load: () => import('./commands/help/version.js') },
];

export const GROUPS: readonly CommandGroup[] = ['Sign in', 'Tokens', 'Profiles and setup', 'Tool integrations', 'Agent', 'Other'];

export function findCommand(name: string): CommandEntry | undefined {
  return COMMAND_TABLE.find((e) => e.spec.name === name);
}

/** Every command and subcommand spec, depth first (for the man page, README and tests). */
export function allSpecs(): CommandSpec[] {
  const out: CommandSpec[] = [];
  const walk = (s: CommandSpec) => {
    out.push(s);
    for (const sub of s.subcommands ?? []) walk(sub);
  };
  for (const e of COMMAND_TABLE) walk(e.spec);
  return out;
}
