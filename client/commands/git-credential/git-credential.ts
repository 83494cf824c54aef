/**
 * `authctl git-credential get|store|erase|capability` (also `git-credential-authctl`, so
 * `credential.helper=authctl` works): git's credential helper protocol (gitcredentials(7)).
 * `get` answers with the agent's access token for the profile given by `--profile` or by
 * the config's `match` rules; `erase` (git saw the token rejected) drops the cached token so
 * the next `get` refreshes; `store` is ignored; any other operation is silently ignored.
 * With prompts disabled (GIT_TERMINAL_PROMPT=0, credential.interactive=false) it never
 * starts a login: it exits quietly and git reports its own error.
 */
import { execFileSync } from 'node:child_process';
import { parseCommandArgs } from '../../cli/parse.js';
import { GIT_CREDENTIAL_SPEC } from './spec.js';
import type { TokenResponse } from '../../../shared/api.js';
import type { ResolvedProfile } from '../../../shared/config.js';
import { AuthctlError, EXIT } from '../../../shared/errors.js';
import type { CommandIO } from '../../io.js';
import { readEffectiveConfigPlain } from '../../lib/config-file.js';
import { hasTerminal, tokenOrLogin } from '../../lib/token-or-login.js';
import { matchProfile, transportAllowsToken } from './match.js';
import { formatCredential, readCredential, type GitCredential } from './protocol.js';
import { terminalSafe } from '../../../shared/terminal-text.js';

export const DEFAULT_GIT_USERNAME = 'oauth2';

export interface GitCredentialOptions {
  operation: string;
  profile?: string;
}

export async function run(opts: GitCredentialOptions, io: CommandIO): Promise<number> {
  switch (opts.operation) {
    case 'get':
      return get(opts, await readCredential(io.stdin), io);
    case 'erase':
      return erase(opts, await readCredential(io.stdin), io);
    case 'capability':
      io.stdout.write('version 0\ncapability authtype\n');
      return EXIT.ok;
    default:
      // `store` and operations added to git later: silently ignored (gitcredentials(7)).
      return EXIT.ok;
  }
}

async function get(opts: GitCredentialOptions, cred: GitCredential, io: CommandIO): Promise<number> {
  // git always sends both; a person trying the helper by hand may send nothing.
  if (!cred.protocol || !cred.host) {
    io.stderr.write(
      `authctl: git-credential get reads what git sends on stdin: "protocol=https" and "host=git.example.com" lines (optionally "path=..."), then an empty line (gitcredentials(7)); ${cred.protocol || cred.host ? `"${cred.protocol ? 'host' : 'protocol'}" is missing` : 'it got neither'}.\nTry: printf 'protocol=https\\nhost=git.example.com\\n\\n' | authctl git-credential get\n`,
    );
    return EXIT.usage;
  }
  const profile = pickProfile(opts, cred, io);
  if (!profile) return EXIT.ok;
  if (!transportAllowsToken(cred)) {
    io.stderr.write(`authctl: not sending a token to ${terminalSafe(`${cred.protocol}://${cred.host}`)}: use https (plain http is allowed only for loopback hosts)\n`);
    return EXIT.ok;
  }
  let token: TokenResponse;
  const preissued = io.env.AUTHCTL_TOKEN;
  if (preissued) {
    token = { accessToken: preissued, tokenType: 'Bearer', expiresAt: 0, scopes: [], profile: profile.name };
  } else {
    try {
      token = await tokenOrLogin(io, { profile: profile.name }, () => mayPrompt(io.env));
    } catch (e) {
      if (!(e instanceof AuthctlError)) throw e;
      // Quietly, with one line saying what to do: git then reports that it has no credential.
      io.stderr.write(`authctl: ${terminalSafe(e.message)}\n`);
      return EXIT.ok;
    }
  }
  if (token.warning) io.stderr.write(`authctl: warning: ${terminalSafe(token.warning)}\n`);
  io.stdout.write(formatCredential(answer(profile, cred, token)));
  return EXIT.ok;
}

/** The attributes for git: Bearer when both git (2.46+) and the profile want it, else a Basic password. */
export function answer(profile: Pick<ResolvedProfile, 'gitUsername' | 'gitAuthType'>, cred: GitCredential, token: TokenResponse): Array<[string, string]> {
  const expiry: Array<[string, string]> = token.expiresAt > 0 ? [['password_expiry_utc', String(token.expiresAt)]] : [];
  if (profile.gitAuthType === 'bearer' && cred.capabilities.includes('authtype')) {
    return [
      ['capability[]', 'authtype'],
      ['authtype', 'Bearer'],
      ['credential', token.accessToken],
      ['ephemeral', '1'],
      ...expiry,
    ];
  }
  return [['username', profile.gitUsername ?? cred.username ?? DEFAULT_GIT_USERNAME], ['password', token.accessToken], ...expiry];
}

async function erase(opts: GitCredentialOptions, cred: GitCredential, io: CommandIO): Promise<number> {
  const profile = pickProfile(opts, cred, io);
  if (!profile || io.env.AUTHCTL_TOKEN) return EXIT.ok;
  try {
    await io.agent().call('POST', '/v1/invalidate', { profile: profile.name });
  } catch (e) {
    // No agent, no cache to drop; anything else is worth one line, never a failure for git.
    if (!(e instanceof AuthctlError) || e.code !== 'agent_unavailable') io.stderr.write(`authctl: ${terminalSafe((e as Error).message)}\n`);
  }
  return EXIT.ok;
}

/** `--profile` wins; otherwise the config's match rules; no match, no answer. */
function pickProfile(opts: GitCredentialOptions, cred: GitCredential, io: CommandIO): Pick<ResolvedProfile, 'name' | 'gitUsername' | 'gitAuthType'> | undefined {
  let cfg;
  try {
    cfg = readEffectiveConfigPlain(io.env);
  } catch (e) {
    io.stderr.write(`authctl: ${terminalSafe((e as Error).message)}\n`);
    return undefined;
  }
  if (opts.profile) return cfg.profiles.get(opts.profile) ?? { name: opts.profile };
  const name = matchProfile(cfg, cred);
  return name ? cfg.profiles.get(name) : undefined;
}

/** May a login start? Not when git's prompts are off, and only with a terminal to show it on. */
export function mayPrompt(env: CommandIO['env'], gitConfig: (key: string) => string | undefined = readGitConfig): boolean {
  if (/^(false|no|off|0)$/i.test(env.GIT_TERMINAL_PROMPT ?? '')) return false;
  const interactive = gitConfig('credential.interactive');
  if (interactive !== undefined && /^(false|no|off|0|never)$/i.test(interactive.trim())) return false;
  return hasTerminal();
}

function readGitConfig(key: string): string | undefined {
  try {
    return execFileSync('git', ['config', '--get', key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined; // unset (exit 1), or no git on PATH
  }
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  if (!argv.some((a) => !a.startsWith('-'))) {
    io.stderr.write('usage: authctl git-credential [--profile P] get|store|erase|capability\n(git runs this for credential.helper=authctl; see `authctl setup-git`)\n');
    return EXIT.usage;
  }
  const { values, positionals } = parseCommandArgs(GIT_CREDENTIAL_SPEC, argv);
  const operation = positionals[0]!;
  return run({ operation, profile: values.profile }, io);
}
