/** `authctl logout [--profile P | --all]`: revoke at the provider, delete locally either way. */
import { parseCommandArgs } from '../../cli/parse.js';
import { LOGOUT_SPEC } from './spec.js';
import type { LogoutResponse } from '../../../shared/api.js';
import { AuthctlError, EXIT, exitCodeFor } from '../../../shared/errors.js';
import type { CommandIO } from '../../io.js';
import { terminalSafe } from '../../../shared/terminal-text.js';
import { styleFor } from '../../style.js';

export interface LogoutOptions {
  profile?: string;
  all: boolean;
  json: boolean;
}

export async function run(opts: LogoutOptions, io: CommandIO): Promise<number> {
  if (opts.all && opts.profile) throw new AuthctlError('usage', '--profile and --all cannot be combined');
  const res = await io.agent().call<LogoutResponse>('POST', '/v1/logout', opts.all ? { all: true } : { profile: opts.profile });
  if (opts.json) {
    io.stdout.write(JSON.stringify(res) + '\n');
    const failed = res.profiles.find((p) => p.error);
    return failed ? exitCodeFor(failed.errorCode ?? 'internal') : EXIT.ok;
  }
  if (!res.profiles.length) io.stderr.write('No profiles are configured; nothing to log out of.\n');
  let exit: number = EXIT.ok;
  const style = styleFor(io.stderr, io.env);
  for (const p of res.profiles) {
    if (p.cancelledLogin) io.stderr.write(`Cancelled the login waiting for approval for "${p.profile}".\n`);
    if (p.error) {
      // The others were still logged out; the exit code is the first failure's.
      io.stderr.write(style.fail(`Could not log out of "${p.profile}": ${terminalSafe(p.error)}\n`));
      if (exit === EXIT.ok) exit = exitCodeFor(p.errorCode ?? 'internal');
    } else if (p.orphaned) io.stderr.write(style.ok(`Logged out of "${p.profile}", a session left by a profile no longer in the config (${p.revoked ? 'revoked at the provider' : p.revokeError ? `revoking at the provider failed: ${terminalSafe(p.revokeError)}` : 'deleted'}).\n`));
    else if (p.revoked) io.stderr.write(style.ok(`Logged out of "${p.profile}" (the session was revoked at the provider).\n`));
    else if (p.revokeError) io.stderr.write(style.warn(`Logged out of "${p.profile}" locally; revoking at the provider failed: ${terminalSafe(p.revokeError)}\n`));
    else io.stderr.write(style.ok(`Logged out of "${p.profile}" (there was no session to revoke).\n`));
  }
  return exit;
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseCommandArgs(LOGOUT_SPEC, argv);
  return run({ profile: values.profile ?? (values.all ? undefined : io.env.AUTHCTL_PROFILE || undefined), all: values.all, json: values.json }, io);
}
