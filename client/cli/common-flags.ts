/** Flags several commands share, written once so their help reads the same everywhere. */
import type { FlagSpec } from './spec.js';

export const PROFILE_FLAG = {
  name: 'profile',
  short: 'p',
  type: 'string',
  value: 'NAME',
  description: 'the profile to use (default: $AUTHCTL_PROFILE, then defaultProfile, then the only profile)',
  example: 'work',
  complete: 'profile',
} as const satisfies FlagSpec;

export const JSON_FLAG = { name: 'json', type: 'boolean', description: 'print JSON on stdout instead of text' } as const satisfies FlagSpec;

export const SCOPE_FLAG = {
  name: 'scope',
  short: 's',
  type: 'string',
  value: 'SCOPE',
  repeatable: true,
  description: 'a scope to ask for (or several, separated by spaces)',
  example: '"openid offline_access"',
} as const satisfies FlagSpec;

export const AUDIENCE_FLAG = {
  name: 'audience',
  type: 'string',
  value: 'AUDIENCE',
  description: 'the API the token is for (the audience parameter)',
  example: 'https://api.example.com',
} as const satisfies FlagSpec;

export const RESOURCE_FLAG = {
  name: 'resource',
  type: 'string',
  value: 'URI',
  description: 'the resource indicator (RFC 8707) of the API the token is for',
  check: 'url',
  example: 'https://api.example.com',
} as const satisfies FlagSpec;

export const ENV_NAME_FLAG = {
  name: 'env',
  type: 'string',
  value: 'NAME',
  description: 'the variable that carries the token (default: the profile\'s envName, else AUTHCTL_ACCESS_TOKEN)',
  example: 'GITHUB_TOKEN',
} as const satisfies FlagSpec;
