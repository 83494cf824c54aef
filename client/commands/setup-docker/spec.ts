/** `authctl setup-docker`'s entry in the command table (client/command-table.ts). */
import { PROFILE_FLAG } from '../../cli/common-flags.js';
import type { CommandSpec } from '../../cli/spec.js';

export const SETUP_DOCKER_SPEC = {
  name: 'setup-docker',
  summary: "Make docker ask authctl for a registry's credentials",
  usage: ['setup-docker --registry R [--profile P]'],
  flags: [{ name: 'registry', type: 'string', value: 'REGISTRY', description: 'the registry host (as in docker pull REGISTRY/image)', example: 'registry.example.com' }, PROFILE_FLAG],
  details: "Writes a credHelpers entry to docker's config.json (keeping the rest of it) and adds the registry to the profile's registries.",
  examples: [{ command: 'authctl setup-docker --registry registry.example.com --profile work', description: 'docker pull registry.example.com/app now just works' }],
  exits: [0, 2],
  related: ['docker-credential', 'setup-git', 'setup-kube'],
  group: 'Profiles and setup',
} as const satisfies CommandSpec;
