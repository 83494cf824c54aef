/**
 * `authctl setup-docker --registry R [--profile P]`: makes docker ask authctl for registry R,
 * as `setup-kube` does for kubectl: `"credHelpers": { R: "authctl" }` in the docker client's
 * config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`; every other setting
 * kept), and R in the profile's `registries`, which is how the helper knows the profile. A
 * registry another user profile answered for moves to this one, and says so.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { parseCommandArgs } from '../../cli/parse.js';
import { SETUP_DOCKER_SPEC } from './spec.js';
import { resolveProfileName, type Profile } from '../../../shared/config.js';
import { AuthctlError, EXIT } from '../../../shared/errors.js';
import type { CommandIO } from '../../io.js';
import { readEffectiveConfig, updateUserConfig, userConfigPath } from '../../profile-config.js';
import { registryHost } from '../docker-credential/docker-credential.js';

export interface SetupDockerOptions {
  registry: string;
  profile?: string;
}

export const HELPER_NAME = 'authctl';

export function dockerConfigFile(env: CommandIO['env']): string {
  return join(env.DOCKER_CONFIG || join(env.HOME || '/', '.docker'), 'config.json');
}

export async function run(opts: SetupDockerOptions, io: CommandIO): Promise<number> {
  const host = registryHost(opts.registry);
  if (!host || /[/?#@]/.test(opts.registry.replace(/^https?:\/\//, '').replace(/\/(v2\/?)?$/, '')))
    throw new AuthctlError('usage', `--registry "${opts.registry}" is not a registry host, e.g. --registry registry.example.com or --registry localhost:5000`);
  const cfg = readEffectiveConfig(io.env);
  const name = resolveProfileName(cfg, opts.profile);
  const profile = cfg.profiles.get(name)!;
  const owner = [...cfg.profiles.values()].find((p) => p.name !== name && p.registries?.some((r) => registryHost(r) === host));
  if (owner?.source === 'system') throw new AuthctlError('usage', `registry ${host} is answered for by the system profile "${owner.name}"; use that profile, or ask your administrator`);

  // The profile first: a registry docker asks about but no profile lists gets "not found".
  const alreadyListed = profile.registries?.some((r) => registryHost(r) === host);
  if (!alreadyListed || owner) {
    updateUserConfig(io.env, (c) => {
      const profiles = { ...c.profiles };
      if (owner) profiles[owner.name] = { ...profiles[owner.name]!, registries: profiles[owner.name]!.registries!.filter((r) => registryHost(r) !== host) };
      const mine: Profile = profiles[name] ?? lockedFields(profile);
      profiles[name] = { ...mine, registries: [...(mine.registries ?? []).filter((r) => registryHost(r) !== host), host] };
      return { ...c, profiles };
    });
  }
  const file = dockerConfigFile(io.env);
  writeDockerConfig(file, host);
  io.stderr.write(`docker now asks authctl (profile "${name}") for ${host}: wrote "credHelpers" in ${file}${alreadyListed && !owner ? '' : `, and the registry in profile "${name}" in ${userConfigPath(io.env)}`}.\n`);
  if (owner) io.stderr.write(`Profile "${owner.name}" no longer answers for ${host}.\n`);
  if (!onPath('docker-credential-authctl', io.env.PATH)) {
    io.stderr.write('WARNING: docker-credential-authctl is not on PATH, and docker runs it by that name: install authctl globally (`npm install -g authctl`) or link it (`npm link`).\n');
  }
  return EXIT.ok;
}

/** A user entry for a system profile repeats the fields it may not change (shared/config.ts LOCKED_PROFILE_KEYS). */
function lockedFields(p: Profile): Profile {
  return { issuer: p.issuer, clientId: p.clientId, scopes: p.scopes, ...(p.provider ? { provider: p.provider } : {}), ...(p.endpoints ? { endpoints: p.endpoints } : {}) };
}

/** Sets credHelpers[host] and keeps everything else; written whole, then renamed into place. */
function writeDockerConfig(file: string, host: string): void {
  let config: Record<string, unknown> = {};
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    try {
      config = text.trim() ? JSON.parse(text) : {};
    } catch (e) {
      throw new AuthctlError('usage', `${file} is not valid JSON (${(e as Error).message}): fix it, then run this again`);
    }
    if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new AuthctlError('usage', `${file} is not a JSON object: fix it, then run this again`);
  }
  const helpers = typeof config.credHelpers === 'object' && config.credHelpers !== null ? (config.credHelpers as Record<string, string>) : {};
  config.credHelpers = { ...helpers, [host]: HELPER_NAME };
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const mode = existsSync(file) ? statSync(file).mode & 0o777 : 0o600;
  const tmp = `${file}.authctl-${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(config, null, '\t') + '\n', { mode });
  renameSync(tmp, file);
}

function onPath(command: string, path = ''): boolean {
  return path.split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseCommandArgs(SETUP_DOCKER_SPEC, argv);
  if (!values.registry) throw new AuthctlError('usage', 'which registry? authctl setup-docker --registry registry.example.com [--profile P]');
  return run({ registry: values.registry, profile: values.profile ?? (io.env.AUTHCTL_PROFILE || undefined) }, io);
}
