/**
 * The token as environment variables, shared by `authctl env` and `authctl exec`: the
 * token in NAME (--env, else the profile's `envName`, else AUTHCTL_ACCESS_TOKEN) and its
 * expiry in AUTHCTL_ACCESS_TOKEN_EXPIRES_AT (Unix seconds; absent for a pre-issued token).
 * NAME is never AUTHCTL_TOKEN: that one means a pre-issued token to every authctl command.
 */
import type { TokenResponse } from '../../../shared/api.js';
import { checkEnvName } from '../../../shared/config.js';
import { AuthctlError } from '../../../shared/errors.js';
import type { CommandIO } from '../../io.js';
import { readEffectiveConfigPlain } from '../../lib/config-file.js';
import { terminalSafe } from '../../../shared/terminal-text.js';

export const DEFAULT_ENV_NAME = 'AUTHCTL_ACCESS_TOKEN';
export const EXPIRY_ENV_NAME = 'AUTHCTL_ACCESS_TOKEN_EXPIRES_AT';

export interface TokenEnvOptions {
  profile?: string;
  envName?: string;
}

export interface TokenEnv {
  profile: string;
  vars: Array<[name: string, value: string]>;
}

export function checkEnvNameOption(name: string | undefined): void {
  const problem = name === undefined ? undefined : checkEnvName(name);
  if (problem) throw new AuthctlError('usage', `--env ${problem}`);
}

export async function tokenEnvironment(opts: TokenEnvOptions, io: CommandIO): Promise<TokenEnv> {
  checkEnvNameOption(opts.envName);
  const preissued = io.env.AUTHCTL_TOKEN;
  const token: TokenResponse = preissued
    ? { accessToken: preissued, tokenType: 'Bearer', expiresAt: 0, scopes: [], profile: opts.profile ?? '' }
    : await io.agent().call<TokenResponse>('POST', '/v1/token', { profile: opts.profile });
  if (token.warning) io.stderr.write(`authctl: warning: ${terminalSafe(token.warning)}\n`);
  const name = opts.envName ?? profileEnvName(token.profile, io) ?? DEFAULT_ENV_NAME;
  const vars: TokenEnv['vars'] = [[name, token.accessToken]];
  if (token.expiresAt > 0) vars.push([EXPIRY_ENV_NAME, String(token.expiresAt)]);
  return { profile: token.profile, vars };
}

function profileEnvName(profile: string, io: CommandIO): string | undefined {
  if (!profile) return undefined;
  return readEffectiveConfigPlain(io.env).profiles.get(profile)?.envName;
}
