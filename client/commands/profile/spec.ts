/** `authctl profile`'s entries in the command table (client/command-table.ts). */
import { PROVIDERS } from '../../../shared/config.js';
import { AUDIENCE_FLAG, JSON_FLAG, RESOURCE_FLAG, SCOPE_FLAG } from '../../cli/common-flags.js';
import type { CommandSpec } from '../../cli/spec.js';

const NAME_ARG = { name: 'NAME', description: 'the profile\'s name', required: true, complete: 'profile' } as const;

export const PROFILE_ADD_SPEC = {
  name: 'profile add',
  summary: 'Add a profile (an issuer and a client) to your config',
  usage: [
    'profile add NAME --issuer URL --client-id ID [--scope S]... [--audience A] [--resource R] [--param K=V]... [--min-valid N] [--default] [--force]',
    'profile add NAME --provider auth0|okta|entra|google|github|keycloak|generic|manual [--domain D] [--authorization-server ID] [--tenant T] [--base URL --realm R] [--device-endpoint U --token-endpoint U [--revocation-endpoint U]] [--client-secret S] ...',
    'profile add NAME --issuer URL --client-id ID --federation github-actions|gitlab|env|file [--federation-audience A] [--variable NAME] [--token-file PATH] [--exchange token-exchange|client-assertion] ...',
  ],
  args: [{ name: 'NAME', description: 'the new profile\'s name (letters, digits, ".", "_", "-")', required: true }],
  flags: [
    { name: 'issuer', type: 'string', value: 'URL', check: 'url', description: 'the OpenID issuer (https, or http on loopback)', example: 'https://idp.example.com' },
    { name: 'client-id', type: 'string', value: 'ID', description: 'the OAuth client id registered for authctl', example: 'authctl-cli' },
    { ...SCOPE_FLAG, description: 'a scope to ask for (default "openid offline_access")' },
    AUDIENCE_FLAG,
    RESOURCE_FLAG,
    { name: 'param', type: 'string', value: 'K=V', repeatable: true, check: 'key=value', description: 'an extra authorization request parameter' },
    { name: 'min-valid', type: 'string', value: 'SECONDS', check: 'seconds', description: 'tokens handed out stay valid at least this long', example: '60' },
    { name: 'default', type: 'boolean', description: 'make this the default profile (the first profile added becomes it anyway)' },
    { name: 'force', type: 'boolean', description: 'replace a profile of that name; a new issuer or client id logs its session out first' },
    { name: 'provider', type: 'string', value: 'PROVIDER', choices: PROVIDERS, description: 'fill in the issuer and endpoints from a preset' },
    { name: 'domain', type: 'string', value: 'DOMAIN', description: 'the tenant domain (auth0, okta)', example: 'example.okta.com' },
    { name: 'authorization-server', type: 'string', value: 'ID', description: 'the Okta authorization server id', example: 'default' },
    { name: 'tenant', type: 'string', value: 'TENANT', description: 'the Entra tenant id or domain', example: 'contoso.onmicrosoft.com' },
    { name: 'base', type: 'string', value: 'URL', check: 'url', description: 'the Keycloak base URL', example: 'https://sso.example.com' },
    { name: 'realm', type: 'string', value: 'REALM', description: 'the Keycloak realm', example: 'staff' },
    { name: 'device-endpoint', type: 'string', value: 'URL', check: 'url', description: 'the device authorization endpoint (manual provider)', example: 'https://idp.example.com/device' },
    { name: 'token-endpoint', type: 'string', value: 'URL', check: 'url', description: 'the token endpoint (manual provider)', example: 'https://idp.example.com/token' },
    { name: 'revocation-endpoint', type: 'string', value: 'URL', check: 'url', description: 'the revocation endpoint (manual provider)', example: 'https://idp.example.com/revoke' },
    { name: 'client-secret', type: 'string', value: 'SECRET', description: 'a client secret, for providers that insist on one (github)', example: 'SECRET' },
    { name: 'federation', type: 'string', value: 'SOURCE', choices: ['github-actions', 'gitlab', 'env', 'file'], description: 'a CI profile: exchange the job\'s identity token, no login' },
    { name: 'federation-audience', type: 'string', value: 'AUDIENCE', description: 'the audience of the job\'s identity token', example: 'https://idp.example.com' },
    { name: 'variable', type: 'string', value: 'NAME', description: 'the variable that holds the job\'s identity token (gitlab, env)', example: 'AUTHCTL_ID_TOKEN' },
    { name: 'token-file', type: 'string', value: 'PATH', check: 'absolute-path', description: 'the file that holds the identity token (file)', example: '/var/run/secrets/token', complete: 'file' },
    { name: 'exchange', type: 'string', value: 'KIND', choices: ['token-exchange', 'client-assertion'], description: 'how the identity token is exchanged (with --federation; default token-exchange)' },
  ],
  examples: [
    { command: 'authctl profile add work --issuer https://idp.example.com --client-id authctl-cli --default', description: 'a profile for any OpenID provider' },
    { command: 'authctl profile add okta --provider okta --domain example.okta.com --client-id 0oa1b2c3', description: 'from a preset' },
    { command: 'authctl profile add ci --issuer https://idp.example.com --client-id ci --federation github-actions', description: 'a CI profile, no login' },
  ],
  exits: [0, 2],
  related: ['profile list', 'login'],
  group: 'Profiles and setup',
} as const satisfies CommandSpec;

export const PROFILE_LIST_SPEC = {
  name: 'profile list',
  summary: 'List the profiles (yours and the system\'s)',
  usage: ['profile list [--json]'],
  flags: [JSON_FLAG],
  examples: [
    { command: 'authctl profile list', description: 'the profiles and which is the default' },
    { command: 'authctl profile list --json', description: 'the same for scripts' },
  ],
  exits: [0, 2],
  related: ['profile show', 'status'],
  group: 'Profiles and setup',
} as const satisfies CommandSpec;

export const PROFILE_SHOW_SPEC = {
  name: 'profile show',
  summary: 'Print one profile\'s settings as JSON',
  usage: ['profile show NAME'],
  args: [NAME_ARG],
  flags: [],
  examples: [{ command: 'authctl profile show work', description: 'what the work profile is set to' }],
  exits: [0, 2],
  related: ['profile list'],
  group: 'Profiles and setup',
} as const satisfies CommandSpec;

export const PROFILE_USE_SPEC = {
  name: 'profile use',
  summary: 'Make a profile the default (written as defaultProfile)',
  usage: ['profile use NAME'],
  args: [NAME_ARG],
  flags: [],
  examples: [{ command: 'authctl profile use work', description: 'commands without --profile now use work' }],
  exits: [0, 2],
  related: ['profile list', 'status'],
  group: 'Profiles and setup',
} as const satisfies CommandSpec;

export const PROFILE_REMOVE_SPEC = {
  name: 'profile remove',
  summary: 'Remove a profile from your config, logging its session out first (revoked at the provider)',
  usage: ['profile remove NAME'],
  args: [NAME_ARG],
  flags: [],
  examples: [{ command: 'authctl profile remove old', description: 'revoke its session, then remove it' }],
  exits: [0, 2],
  related: ['logout', 'profile list'],
  group: 'Profiles and setup',
} as const satisfies CommandSpec;

export const PROFILE_SPEC = {
  name: 'profile',
  summary: 'Add, list, show, switch and remove profiles',
  usage: ['profile add|list|show|use|remove ...'],
  flags: [],
  examples: [
    { command: 'authctl profile add work --issuer https://idp.example.com --client-id authctl-cli', description: 'add a profile' },
    { command: 'authctl profile list', description: 'list them' },
  ],
  exits: [0, 2],
  related: ['login', 'status'],
  group: 'Profiles and setup',
  subcommands: [PROFILE_ADD_SPEC, PROFILE_LIST_SPEC, PROFILE_SHOW_SPEC, PROFILE_USE_SPEC, PROFILE_REMOVE_SPEC],
} as const satisfies CommandSpec;
