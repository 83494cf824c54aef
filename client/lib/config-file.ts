/**
 * The effective config read as plain JSON, for the token path (git, docker and kube
 * helpers, the library): no `conf`, so loading it costs almost nothing. Writes still go
 * through client/profile-config.ts. The same rules as the agent's reader
 * (daemon/config-source.ts): the fixed system file plus any added one, and no symbolic
 * link owned by someone else is followed.
 */
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { AuthctlError } from '../../shared/errors.js';
import { mergeConfigFiles, parseConfigText, type ConfigFile, type EffectiveConfig } from '../../shared/config.js';
import { processPathEnv, systemConfigFiles, userConfigFile } from '../../shared/paths.js';

/** One file, validated; with `broken`, an invalid profile is recorded there instead of failing the file. */
export function readConfigFile(path: string, uid = process.getuid?.() ?? -1, broken?: Map<string, string>): ConfigFile {
  if (!existsSync(path)) return {};
  const link = lstatSync(path);
  if (link.isSymbolicLink() && uid >= 0 && link.uid !== uid && link.uid !== 0)
    throw new AuthctlError('config_invalid', `${path}: is a symbolic link owned by uid ${link.uid}, not by you (uid ${uid}); not following it: remove it and write the file yourself`);
  return parseConfigText(readFileSync(path, 'utf8'), path, broken);
}

export function readEffectiveConfigPlain(env: Record<string, string | undefined>): EffectiveConfig {
  const pe = processPathEnv(env);
  const user = userConfigFile(pe);
  const layer = (file: string) => {
    const broken = new Map<string, string>();
    return { file, config: readConfigFile(file, undefined, broken), broken };
  };
  return mergeConfigFiles(systemConfigFiles(pe).map(layer), layer(user));
}
