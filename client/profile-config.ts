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

export async function saveProfile(env: Env, name: string, profile: Profile): Promise<void> {
  updateUserConfig(env, (cfg) => ({ ...cfg, profiles: { ...cfg.profiles, [name]: stripUndefined(profile) } }));
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
