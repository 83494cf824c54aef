/** `authctl setup-kube`'s entry in the command table (client/command-table.ts). */
import { PROFILE_FLAG } from '../../cli/common-flags.js';
import type { CommandSpec } from '../../cli/spec.js';

export const SETUP_KUBE_SPEC = {
  name: 'setup-kube',
  summary: 'Point a kubeconfig context at authctl for its credentials',
  usage: ['setup-kube --context C [--profile P] [--kubeconfig FILE]'],
  flags: [
    { name: 'context', type: 'string', value: 'CONTEXT', description: 'the kubeconfig context', example: 'prod' },
    PROFILE_FLAG,
    { name: 'kubeconfig', type: 'string', value: 'FILE', description: 'the kubeconfig file (default: $KUBECONFIG, ~/.kube/config)', complete: 'file', example: '~/.kube/config' },
  ],
  examples: [{ command: 'authctl setup-kube --context prod --profile work', description: 'kubectl --context prod now asks authctl' }],
  exits: [0, 2],
  related: ['kube', 'setup-git'],
  group: 'Profiles and setup',
} as const satisfies CommandSpec;
