/** `authctl docker-credential`'s entry in the command table (client/command-table.ts). */
import type { CommandSpec } from '../../cli/spec.js';

export const DOCKER_CREDENTIAL_SPEC = {
  name: 'docker-credential',
  summary: 'docker\'s credential helper (docker runs it; also installed as docker-credential-authctl)',
  usage: ['docker-credential get|store|erase|list|version'],
  flags: [],
  args: [{ name: 'OPERATION', description: 'what docker asks: get, store, erase, list or version', required: true, suggestions: ['get', 'store', 'erase', 'list', 'version'] }],
  details: 'Add "credHelpers": {"REGISTRY": "authctl"} to ~/.docker/config.json. Errors go to stdout, which is what docker shows.',
  examples: [{ command: 'echo registry.example.com | authctl docker-credential get', description: 'what docker does' }],
  exits: [0, 1, 2, 3, 5, 6, 7],
  related: ['setup-git', 'token'],
  group: 'Tool integrations',
} as const satisfies CommandSpec;
