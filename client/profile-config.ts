/**
 * Reads and writes profiles in the user config file. Writes go through `conf` (atomic
 * write, file mode 0600); every change is validated with the same schema the agent uses,
 * so a profile the agent would reject is never written. Secrets never go here.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { AuthctlError } from '../shared/errors.js';
import Conf from 'conf';
import { mergeConfigFiles, validateConfig, type ConfigFile, type Profile } from '../shared/config.js';
import { configDir, processPathEnv, systemConfigFile, systemConfigFiles, userConfigFile } from '../shared/paths.js';
import { readConfigFile as readFile, readEffectiveConfigPlain } from './lib/config-file.js';
import { terminalSafe } from '../shared/terminal-text.js';
import { confirm } from './confirm.js';
import type { CommandIO } from './io.js';
import { changesIdentity, defaultAfterAdding, effectiveDefault, endSessionFirst } from './profile-change.js';

type Env = Record<string, string | undefined>;

/** The user file's valid content (an invalid profile is left out: `userProfileNames` still lists it). */
export function readUserConfig(env: Env): ConfigFile {
  return readFile(userConfigFile(processPathEnv(env)), undefined, new Map());
}

/** The profile names the system files define (an admin's; a user entry may only add to them). */
export function systemProfileNames(env: Env): string[] {
  return systemConfigFiles(processPathEnv(env)).flatMap((file) => Object.keys(readFile(file, undefined, new Map()).profiles ?? {}));
}

/** Every profile name the user file has, valid or not. */
export function userProfileNames(env: Env): string[] {
  const path = userConfigFile(processPathEnv(env));
  readFile(path, undefined, new Map()); // a file that is not JSON is reported as such
  if (!existsSync(path)) return [];
  const raw = JSON.parse(readFileSync(path, 'utf8')) as { profiles?: Record<string, unknown> };
  return Object.keys(raw.profiles ?? {});
}

/** The merged system + user config (the same plain read the token-path helpers use). */
export const readEffectiveConfig = readEffectiveConfigPlain;

export function systemConfigPath(env: Env): string {
  return systemConfigFile(processPathEnv(env));
}

export function userConfigPath(env: Env): string {
  return userConfigFile(processPathEnv(env));
}

/**
 * Applies `change` to the user config and writes it back (0600), after validating the result.
 * The change is made to the file as written, so a profile that is invalid (and left out when
 * the file is read) is kept as it was, never dropped by an unrelated change; but a change may
 * not make a profile invalid.
 */
export function updateUserConfig(env: Env, change: (cfg: ConfigFile) => ConfigFile): ConfigFile {
  const pe = processPathEnv(env);
  const path = userConfigFile(pe);
  const brokenBefore = new Map<string, string>();
  readFile(path, undefined, brokenBefore); // the file's own problems (syntax, top-level keys) stop here
  const raw = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as ConfigFile) : {};
  const written = dropUndefined(change(raw));
  const brokenAfter = new Map<string, string>();
  const next = validateConfig(written, path, brokenAfter);
  for (const [name, problem] of brokenAfter) {
    if (brokenBefore.get(name) !== problem) throw new AuthctlError('config_invalid', problem);
  }
  // The same merge the agent makes: a change that redefines a system profile is refused here, not later.
  const systemLayer = (file: string) => {
    const broken = new Map<string, string>();
    return { file, config: readFile(file, undefined, broken), broken };
  };
  mergeConfigFiles(systemConfigFiles(pe).map(systemLayer), { file: path, config: next });
  mkdirSync(configDir(pe), { recursive: true, mode: 0o700 });
  const conf = new Conf<Record<string, unknown>>({ projectName: 'authctl', cwd: configDir(pe), configName: 'config', configFileMode: 0o600 });
  conf.store = written as Record<string, unknown>;
  return next;
}

/** `{ defaultProfile: undefined }` means "remove the key"; JSON.stringify drops it, and so does this. */
function dropUndefined(cfg: ConfigFile): ConfigFile {
  return Object.fromEntries(Object.entries(cfg).filter(([, v]) => v !== undefined)) as ConfigFile;
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
