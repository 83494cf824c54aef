/**
 * `authctl profile add|list|show|remove`: profiles in the user config file; system
 * profiles (admin-managed) are listed too, and a user entry overrides a system one.
 */
import { parseCommandArgs, subcommandOf } from '../../cli/parse.js';
import { PROFILE_ADD_SPEC, PROFILE_LIST_SPEC, PROFILE_SPEC } from './spec.js';
import { PROVIDERS, validateFederation, type Profile, type ProviderName } from '../../../shared/config.js';
import { presetProfile } from '../../../shared/providers.js';
import { AuthctlError, EXIT } from '../../../shared/errors.js';
import type { CommandIO } from '../../io.js';
import { readEffectiveConfig, readUserConfig, updateUserConfig, userConfigPath } from '../../profile-config.js';

export interface ProfileAddOptions {
  name: string;
  profile: Profile;
  makeDefault: boolean;
}

export function add(opts: ProfileAddOptions, io: CommandIO): number {
  updateUserConfig(io.env, (cfg) => ({
    ...cfg,
    ...(opts.makeDefault ? { defaultProfile: opts.name } : {}),
    profiles: { ...cfg.profiles, [opts.name]: opts.profile },
  }));
  const next = opts.profile.federation
    ? `In a CI job, \`authctl token --profile ${opts.name}\` exchanges the job's identity token; no login.`
    : `Log in with \`authctl login --profile ${opts.name}\`.`;
  io.stderr.write(`Saved profile "${opts.name}" in ${userConfigPath(io.env)}. ${next}\n`);
  return EXIT.ok;
}

export function list(json: boolean, io: CommandIO): number {
  const cfg = readEffectiveConfig(io.env);
  const rows = [...cfg.profiles.values()];
  if (json) {
    io.stdout.write(JSON.stringify(rows.map((p) => ({ ...p, default: p.name === cfg.defaultProfile }))) + '\n');
    return EXIT.ok;
  }
  if (!rows.length) io.stderr.write('No profiles. Add one with `authctl profile add NAME --issuer URL --client-id ID`.\n');
  for (const p of rows) io.stdout.write(`${p.name}${p.name === cfg.defaultProfile ? '*' : ''}\t${p.issuer}\t${p.clientId}\t${p.source}\n`);
  return EXIT.ok;
}

export function show(name: string, io: CommandIO): number {
  const p = readEffectiveConfig(io.env).profiles.get(name);
  if (!p) throw new AuthctlError('unknown_profile', `no profile named "${name}"`);
  io.stdout.write(JSON.stringify(p, null, 2) + '\n');
  return EXIT.ok;
}

export function remove(name: string, io: CommandIO): number {
  const user = readUserConfig(io.env);
  if (!user.profiles?.[name]) {
    const sys = readEffectiveConfig(io.env).profiles.get(name);
    throw new AuthctlError('unknown_profile', sys ? `profile "${name}" comes from the system config and cannot be removed here` : `no profile named "${name}"`);
  }
  updateUserConfig(io.env, (cfg) => {
    const profiles = { ...cfg.profiles };
    delete profiles[name];
    return { ...cfg, profiles, ...(cfg.defaultProfile === name ? { defaultProfile: undefined } : {}) };
  });
  io.stderr.write(`Removed profile "${name}". Its session stays until \`authctl logout --profile ${name}\`... run that first to revoke it.\n`);
  return EXIT.ok;
}

export function parseAdd(argv: string[]): ProfileAddOptions {
  const { values, positionals } = parseCommandArgs(PROFILE_ADD_SPEC, argv);
  const name = positionals[0]!;
  if (values.provider !== undefined && !PROVIDERS.includes(values.provider as ProviderName))
    throw new AuthctlError('usage', `--provider must be one of ${PROVIDERS.join(', ')}, not "${values.provider}"`);
  if (!values.provider && (!values.issuer || !values['client-id'])) throw new AuthctlError('usage', `authctl profile add needs --issuer URL and --client-id ID, or a preset: --provider ${PROVIDERS.join('|')}`);
  const extraParams: Record<string, string> = {};
  for (const kv of values.param ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new AuthctlError('usage', `--param must look like NAME=VALUE, not "${kv}"`);
    extraParams[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const minValid = values['min-valid'];
  if (minValid !== undefined && !/^\d+$/.test(minValid)) throw new AuthctlError('usage', `--min-valid must be a whole number of seconds, not "${minValid}"`);
  const profile: Profile = values.provider
    ? presetProfile({
        provider: values.provider as ProviderName,
        clientId: values['client-id'] ?? '',
        scopes: values.scope,
        audience: values.audience,
        resource: values.resource,
        domain: values.domain,
        authorizationServer: values['authorization-server'],
        tenant: values.tenant,
        base: values.base,
        realm: values.realm,
        issuer: values.issuer,
        endpoints: { deviceAuthorization: values['device-endpoint'], token: values['token-endpoint'], revocation: values['revocation-endpoint'] },
        clientSecret: values['client-secret'],
      })
    : {
        issuer: values.issuer!,
        clientId: values['client-id']!,
        // A CI profile never logs in, so it has no use for openid offline_access.
        scopes: (values.scope ?? (values.federation ? [] : ['openid offline_access'])).flatMap((s) => s.split(/\s+/)).filter(Boolean),
        ...(values.audience ? { audience: values.audience } : {}),
        ...(values.resource ? { resource: values.resource } : {}),
      };
  if (Object.keys(extraParams).length) profile.extraParams = extraParams;
  if (minValid !== undefined) profile.minValidSeconds = Number(minValid);
  const federation = federationFlags(values);
  if (federation) profile.federation = federation;
  return { name, profile, makeDefault: values.default };
}

/** `--federation SOURCE [--federation-audience A] [--variable NAME] [--token-file PATH] [--exchange E]`. */
function federationFlags(values: Record<string, string | boolean | string[] | undefined>): Profile['federation'] {
  const flags = { audience: 'federation-audience', variable: 'variable', path: 'token-file', exchange: 'exchange' } as const;
  const given = Object.values(flags).filter((f) => values[f] !== undefined);
  if (values.federation === undefined) {
    if (given.length) throw new AuthctlError('usage', `--${given[0]} needs --federation github-actions|gitlab|env|file`);
    return undefined;
  }
  const raw: Record<string, unknown> = { source: values.federation, exchange: values.exchange ?? 'token-exchange' };
  for (const [key, flag] of Object.entries(flags)) if (key !== 'exchange' && values[flag] !== undefined) raw[key] = values[flag];
  const source = values.federation;
  if ((source === 'gitlab' || source === 'env') && values.variable === undefined)
    throw new AuthctlError('usage', `--federation ${source} needs --variable NAME, the variable that holds the job's identity token`);
  if (source === 'file' && values['token-file'] === undefined) throw new AuthctlError('usage', '--federation file needs --token-file PATH (an absolute path)');
  return validateFederation(raw, 'federation', (what) => {
    throw new AuthctlError('usage', `${what} (flags: --federation, --federation-audience, --variable, --token-file, --exchange)`);
  });
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [verb, ...rest] = argv;
  const spec = subcommandOf(PROFILE_SPEC, verb);
  const one = (args: string[]) => parseCommandArgs(spec, args).positionals[0]!;
  switch (verb) {
    case 'add':
      return add(parseAdd(rest), io);
    case 'list': {
      const { values } = parseCommandArgs(PROFILE_LIST_SPEC, rest);
      return list(values.json, io);
    }
    case 'show':
      return show(one(rest), io);
    case 'remove':
      return remove(one(rest), io);
    default:
      throw new AuthctlError('usage', 'usage: authctl profile add|list|show|remove ...');
  }
}
