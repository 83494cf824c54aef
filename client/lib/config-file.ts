/**
 * The effective config read as plain JSON, for the token path (git, docker and kube
 * helpers, the library): no `conf`, so loading it costs almost nothing. Writes still go
 * through client/profile-config.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mergeConfigs, parseConfigText, type ConfigFile, type EffectiveConfig } from '../../shared/config.js';
import { processPathEnv, systemConfigFile, userConfigFile } from '../../shared/paths.js';

export function readConfigFile(path: string): ConfigFile {
  return existsSync(path) ? parseConfigText(readFileSync(path, 'utf8'), path) : {};
}

export function readEffectiveConfigPlain(env: Record<string, string | undefined>): EffectiveConfig {
  const pe = processPathEnv(env);
  return mergeConfigs(readConfigFile(systemConfigFile(pe)), readConfigFile(userConfigFile(pe)));
}
