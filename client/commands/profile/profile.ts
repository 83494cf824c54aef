/**
 * `authctl profile add|list|show|use|remove`: profiles in the user config file; system
 * profiles (admin-managed) are listed too, and a user entry overrides a system one. The
 * first profile becomes the default, and only `use` (or `add --default`) changes it.
 */
import { parseCommandArgs, subcommandOf } from '../../cli/parse.js';
import { PROFILE_ADD_SPEC, PROFILE_LIST_SPEC, PROFILE_SPEC } from './spec.js';
import { PROVIDERS, validateFederation, type EffectiveConfig, type Profile, type ProviderName } from '../../../shared/config.js';
import { presetProfile } from '../../../shared/providers.js';
import { AuthctlError, EXIT } from '../../../shared/errors.js';
import type { CommandIO } from '../../io.js';
import { readEffectiveConfig, systemConfigPath, systemProfileNames, updateUserConfig, userConfigPath, userProfileNames } from '../../profile-config.js';
import { changesIdentity, defaultAfterAdding, effectiveDefault, endSessionFirst } from '../../profile-change.js';
import { onTerminal } from '../../confirm.js';
import { closestName as closest } from '../../../shared/suggest.js';
import { terminalSafe } from '../../../shared/terminal-text.js';
import type { DiagnosticsResponse, ProfileDiagnostics } from '../../../shared/api.js';

export interface ProfileAddOptions {
  name: string;
  profile: Profile;
  makeDefault: boolean;
  /** Replace a profile of that name (its session ends first when the issuer or client id changes). */
  force: boolean;
}

export async function add(opts: ProfileAddOptions, io: CommandIO): Promise<number> {
  const before = readEffectiveConfig(io.env);
  const existing = before.profiles.get(opts.name);
  // A system profile of that name is the merge's to judge (a user entry may add settings, never re-point it).
  if ((existing || before.brokenProfiles.has(opts.name)) && userProfileNames(io.env).includes(opts.name) && !opts.force) {
    if (!existing) throw new AuthctlError('usage', `profile "${opts.name}" exists already (and is invalid: ${before.brokenProfiles.get(opts.name)}): add --force to replace it`);
    throw new AuthctlError('usage', `profile "${opts.name}" exists already (${existing!.issuer}, client ${existing!.clientId}): add --force to replace it, or pick another name`);
  }
  if (existing && changesIdentity(existing, opts.profile)) await endSessionFirst(io, opts.name, `replacing its issuer or client id`);
  const defaultProfile = defaultAfterAdding(before, opts.name, opts.makeDefault);
  updateUserConfig(io.env, (cfg) => ({
    ...cfg,
    ...(defaultProfile !== undefined ? { defaultProfile } : {}),
    profiles: { ...cfg.profiles, [opts.name]: opts.profile },
  }));
  const next = opts.profile.federation
    ? `In a CI job, \`authctl token --profile ${opts.name}\` exchanges the job's identity token; no login.`
    : `Log in with \`authctl login --profile ${opts.name}\`.`;
  io.stderr.write(`${existing ? 'Replaced' : 'Saved'} profile "${opts.name}" in ${userConfigPath(io.env)}. ${next}\n`);
  const wasDefault = effectiveDefault(before);
  if (defaultProfile === opts.name && wasDefault !== opts.name) io.stderr.write(`"${opts.name}" is now the default profile${wasDefault ? ` (was "${wasDefault}")` : ''}.\n`);
  else if (defaultProfile && defaultProfile !== opts.name) io.stderr.write(`The default profile stays "${defaultProfile}" (\`authctl profile use ${opts.name}\` switches).\n`);
  if (onTerminal(io) && !opts.profile.federation) await checkIssuer(opts.name, io);
  return EXIT.ok;
}

/**
 * On a terminal, a typo in the issuer is reported now, not at the first login: the agent
 * fetches the discovery document with its own proxy and CA settings (GET /v1/diagnostics).
 * The profile stays saved either way; the warning says how to fix it.
 */
async function checkIssuer(name: string, io: CommandIO): Promise<void> {
  let d: ProfileDiagnostics | undefined;
  try {
    d = (await io.agent().call<DiagnosticsResponse>('GET', `/v1/diagnostics?profile=${encodeURIComponent(name)}`)).profiles.find((p) => p.profile === name);
  } catch (e) {
    io.stderr.write(`Could not check the issuer now (${terminalSafe((e as Error).message)}); \`authctl doctor\` checks it later.\n`);
    return;
  }
  if (!d) return;
  const problem = !d.reachable ? (d.error ?? `cannot reach ${d.issuer}`) : d.problem;
  if (!problem) {
    io.stderr.write(`Checked: ${terminalSafe(d.issuer)} answers, with the device flow.\n`);
    return;
  }
  io.stderr.write(
    `WARNING: the issuer of "${name}" does not work: ${terminalSafe(problem)}\nIs the URL right? Fix it with \`authctl profile add ${name} --issuer URL --client-id ID --force\`, or check the network with \`authctl doctor\`.\n`,
  );
}

/** `authctl profile use NAME`: the default profile, written as "defaultProfile" (gh auth switch, kubectl config use-context). */
export function use(name: string, io: CommandIO): number {
  const cfg = readEffectiveConfig(io.env);
  if (!cfg.profiles.has(name)) throw unknownProfile(name, cfg);
  const was = effectiveDefault(cfg);
  updateUserConfig(io.env, (c) => ({ ...c, defaultProfile: name }));
  io.stderr.write(was === name ? `"${name}" is the default profile already.\n` : `"${name}" is now the default profile${was ? ` (was "${was}")` : ''}.\n`);
  return EXIT.ok;
}

export function list(json: boolean, io: CommandIO): number {
  const cfg = readEffectiveConfig(io.env);
  const rows = [...cfg.profiles.values()];
  const def = effectiveDefault(cfg);
  if (json) {
    io.stdout.write(JSON.stringify(rows.map((p) => ({ ...p, default: p.name === def }))) + '\n');
    return EXIT.ok;
  }
  for (const [name, problem] of cfg.brokenProfiles) io.stderr.write(`Profile "${name}" is invalid and left out (the others work): ${terminalSafe(problem)}\n`);
  if (!rows.length) {
    if (cfg.brokenProfiles.size) return EXIT.usage;
    io.stderr.write('No profiles. Add one with `authctl profile add NAME --issuer URL --client-id ID`.\n');
    return EXIT.ok;
  }
  const table = [['DEFAULT', 'NAME', 'ISSUER', 'CLIENT ID', 'SOURCE'], ...rows.map((p) => [p.name === def ? '*' : '', p.name, p.issuer, p.clientId, p.source])];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  for (const r of table) io.stdout.write(terminalSafe(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')) + '\n');
  if (!def) io.stderr.write(`No default profile: commands need --profile; pick one with \`authctl profile use NAME\`.\n`);
  return EXIT.ok;
}

export function show(name: string, io: CommandIO): number {
  const cfg = readEffectiveConfig(io.env);
  const p = cfg.profiles.get(name);
  if (!p) throw unknownProfile(name, cfg);
  io.stdout.write(JSON.stringify(p, null, 2) + '\n');
  return EXIT.ok;
}

/** Removes a user profile; a logged-in one is logged out first (revoked), as `gh auth logout` does. */
export async function remove(name: string, io: CommandIO): Promise<number> {
  const cfg = readEffectiveConfig(io.env);
  if (!userProfileNames(io.env).includes(name)) {
    if (cfg.profiles.has(name)) throw new AuthctlError('unknown_profile', `profile "${name}" comes from the system config ${systemConfigPath(io.env)} and cannot be removed here; ask your administrator`);
    throw unknownProfile(name, cfg);
  }
  // A system profile of that name stays after the user entry goes (same issuer and client): its session stays too.
  const systemKeeps = systemProfileNames(io.env).includes(name);
  if (!systemKeeps) await endSessionFirst(io, name, 'removing the profile');
  const was = effectiveDefault(cfg);
  updateUserConfig(io.env, (c) => {
    const profiles = { ...c.profiles };
    delete profiles[name];
    return { ...c, profiles, ...(c.defaultProfile === name ? { defaultProfile: undefined } : {}) };
  });
  io.stderr.write(systemKeeps ? `Removed your settings for profile "${name}"; the system config's profile of that name stays, with its session.\n` : `Removed profile "${name}".\n`);
  if (was === name && !systemKeeps) {
    const left = effectiveDefault(readEffectiveConfig(io.env));
    io.stderr.write(left ? `The default profile is now "${left}", the only one left.\n` : 'There is no default profile now: pick one with `authctl profile use NAME`.\n');
  }
  return EXIT.ok;
}

function unknownProfile(name: string, cfg: EffectiveConfig): AuthctlError {
  const problem = cfg.brokenProfiles.get(name);
  if (problem) return new AuthctlError('config_invalid', `profile "${name}" is invalid: ${problem}`);
  const known = [...cfg.profiles.keys()];
  const near = closest(name, known);
  return new AuthctlError(
    'unknown_profile',
    known.length
      ? `no profile named "${name}"${near ? ` (did you mean "${near}"?)` : ''}; the profiles are ${known.join(', ')} (\`authctl profile list\`)`
      : `no profile named "${name}": add one with \`authctl profile add ${name} --issuer URL --client-id ID\``,
  );
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
  return { name, profile, makeDefault: values.default, force: values.force };
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
    case 'use':
      return use(one(rest), io);
    case 'remove':
      return remove(one(rest), io);
    default:
      throw new AuthctlError('usage', 'usage: authctl profile add|list|show|use|remove ...'); // subcommandOf names the closest one
  }
}
