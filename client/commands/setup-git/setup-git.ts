/**
 * `authctl setup-git --host H [--profile P]`: makes git ask authctl for H, as
 * `gh auth setup-git` does: in the global git config, an empty `helper` line for that URL
 * (it resets helpers inherited from broader config, so no other helper is asked or handed
 * the token) followed by authctl's helper with an explicit profile.
 */
import { execFileSync } from 'node:child_process';
import { parseCommandArgs } from '../../cli/parse.js';
import { SETUP_GIT_SPEC } from './spec.js';
import { resolveProfileName } from '../../../shared/config.js';
import { AuthctlError, EXIT } from '../../../shared/errors.js';
import type { CommandIO } from '../../io.js';
import { readEffectiveConfigPlain } from '../../lib/config-file.js';
import { selfCommand, shellWord } from './self-command.js';

export interface SetupGitOptions {
  host: string;
  profile?: string;
  /** argv that starts authctl (default: this process's entry point). */
  self?: string[];
}

/** `git.example.com` → `https://git.example.com`; a full URL is kept (http only for loopback, checked by the helper). */
export function credentialUrl(host: string): string {
  const url = URL.parse(host.includes('://') ? host : `https://${host}`);
  if (!url || !url.host || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    throw new AuthctlError('usage', `--host "${host}" is not a host name or an http(s) URL, e.g. --host git.example.com`);
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${path}`;
}

export function helperLine(self: string[], profile: string): string {
  return '!' + [...self, 'git-credential', '--profile', profile].map(shellWord).join(' ');
}

export async function run(opts: SetupGitOptions, io: CommandIO): Promise<number> {
  const url = credentialUrl(opts.host);
  const profile = resolveProfileName(readEffectiveConfigPlain(io.env), opts.profile);
  const key = `credential.${url}.helper`;
  const git = (...args: string[]) => {
    try {
      execFileSync('git', ['config', '--global', ...args], { env: io.env as NodeJS.ProcessEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
      if (err.code === 'ENOENT') throw new AuthctlError('usage', 'git is not on PATH: install git, then run this again');
      throw new AuthctlError('internal', `git config failed: ${err.stderr?.toString().trim() || err.message}`);
    }
  };
  git('--replace-all', key, '');
  git('--add', key, helperLine(opts.self ?? selfCommand(), profile));
  io.stderr.write(`git now asks authctl (profile "${profile}") for ${url}: wrote ${key} in ${globalConfigFile(io.env, key)}.\n`);
  return EXIT.ok;
}

/** The file `git config --global` wrote the key to (git says, with --show-origin; it honours GIT_CONFIG_GLOBAL and XDG). */
function globalConfigFile(env: CommandIO['env'], key: string): string {
  try {
    const out = execFileSync('git', ['config', '--global', '--show-origin', '--get-all', key], { env: env as NodeJS.ProcessEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const origin = /^file:(.*?)\t/.exec(out)?.[1];
    if (origin) return origin;
  } catch {
    // Fall through to the usual place.
  }
  return env.GIT_CONFIG_GLOBAL || `${env.HOME ?? '~'}/.gitconfig`;
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseCommandArgs(SETUP_GIT_SPEC, argv);
  if (!values.host) throw new AuthctlError('usage', 'which host? authctl setup-git --host git.example.com [--profile P]');
  return run({ host: values.host, profile: values.profile ?? (io.env.AUTHCTL_PROFILE || undefined) }, io);
}
