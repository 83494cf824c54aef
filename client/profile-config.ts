/**
 * Reads and writes profiles in the user config file. Writes go through `conf` (atomic
 * write, file mode 0600); every change is validated with the same schema the agent uses,
 * so a profile the agent would reject is never written. Secrets never go here.
 */
import { mkdirSync } from 'node:fs';
import Conf from 'conf';
import { mergeConfigFiles, validateConfig, type ConfigFile, type Profile } from '../shared/config.js';
import { configDir, processPathEnv, systemConfigFile, systemConfigFiles, userConfigFile } from '../shared/paths.js';
import { readConfigFile as readFile, readEffectiveConfigPlain } from './lib/config-file.js';
import { terminalSafe } from '../shared/terminal-text.js';
import { confirm } from './confirm.js';
import type { CommandIO } from './io.js';
import { changesIdentity, defaultAfterAdding, effectiveDefault, endSessionFirst } from './profile-change.js';

type Env = Record<string, string | undefined>;

export function readUserConfig(env: Env): ConfigFile {
  return readFile(userConfigFile(processPathEnv(env)));
}

/** The merged system + user config (the same plain read the token-path helpers use). */
export const readEffectiveConfig = readEffectiveConfigPlain;

export function systemConfigPath(env: Env): string {
  return systemConfigFile(processPathEnv(env));
}

export function userConfigPath(env: Env): string {
  return userConfigFile(processPathEnv(env));
}

/** Applies `change` to the user config and writes it back (0600), after validating the result. */
export function updateUserConfig(env: Env, change: (cfg: ConfigFile) => ConfigFile): ConfigFile {
  const pe = processPathEnv(env);
  const path = userConfigFile(pe);
  const next = validateConfig(change(readFile(path)), path);
  // The same merge the agent makes: a change that redefines a system profile is refused here, not later.
  mergeConfigFiles(systemConfigFiles(pe).map((file) => ({ file, config: readFile(file) })), { file: path, config: next });
  mkdirSync(configDir(pe), { recursive: true, mode: 0o700 });
  const conf = new Conf<Record<string, unknown>>({ projectName: 'authctl', cwd: configDir(pe), configName: 'config', configFileMode: 0o600 });
  conf.store = next as Record<string, unknown>;
  return next;
}

/**
 * `login --issuer URL --client-id ID [--profile P]` saves the profile it logs in to, as
 * `gh auth login` does, and says so. It never changes the default silently: the first
 * profile becomes the default; over another default it asks on a terminal and keeps the
 * old one otherwise. Replacing a profile's issuer or client id ends its session first.
 */
export async function saveProfile(io: CommandIO, name: string, profile: Profile): Promise<void> {
  const before = readEffectiveConfig(io.env);
  const existing = before.profiles.get(name);
  if (changesIdentity(existing, profile)) await endSessionFirst(io, name, 'replacing its issuer or client id');
  const current = effectiveDefault(before);
  let takeOver = false;
  if (current && current !== name) takeOver = (await confirm(io, `Make "${name}" the default profile instead of "${current}"?`)) ?? false;
  const defaultProfile = defaultAfterAdding(before, name, takeOver);
  updateUserConfig(io.env, (cfg) => ({ ...cfg, ...(defaultProfile !== undefined ? { defaultProfile } : {}), profiles: { ...cfg.profiles, [name]: stripUndefined(profile) } }));
  io.stderr.write(`${existing ? 'Updated' : 'Saved'} profile "${name}" (${terminalSafe(profile.issuer)}) in ${userConfigPath(io.env)}.\n`);
  if (defaultProfile === name && current !== name) io.stderr.write(`"${name}" is now the default profile${current ? ` (was "${current}")` : ''}.\n`);
  else if (defaultProfile && defaultProfile !== name)
    io.stderr.write(`The default profile stays "${defaultProfile}": use --profile ${name} with other commands, or \`authctl profile use ${name}\`.\n`);
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
