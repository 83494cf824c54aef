/**
 * `authctl setup-kube --context C [--profile P]`: points the kubeconfig context C at a user
 * whose credentials come from `authctl kube` (an exec plugin, interactiveMode IfAvailable,
 * with cluster info so a cluster can name its `audience`). It edits the kubeconfig through
 * `kubectl config`, which keeps the file's format and honours KUBECONFIG.
 */
import { execFileSync } from 'node:child_process';
import { parseCommandArgs } from '../../cli/parse.js';
import { SETUP_KUBE_SPEC } from './spec.js';
import { resolveProfileName } from '../../../shared/config.js';
import { AuthctlError, EXIT } from '../../../shared/errors.js';
import type { CommandIO } from '../../io.js';
import { readEffectiveConfigPlain } from '../../lib/config-file.js';
import { selfCommand } from '../setup-git/self-command.js';

export const EXEC_API_VERSION = 'client.authentication.k8s.io/v1';

export interface SetupKubeOptions {
  context: string;
  profile?: string;
  kubeconfig?: string;
  self?: string[];
}

export function credentialArgs(user: string, self: string[], profile: string): string[] {
  const [command, ...pre] = self;
  return [
    'config',
    'set-credentials',
    user,
    `--exec-command=${command}`,
    `--exec-api-version=${EXEC_API_VERSION}`,
    ...[...pre, 'kube', '--profile', profile].map((a) => `--exec-arg=${a}`),
    '--exec-interactive-mode=IfAvailable',
    '--exec-provide-cluster-info=true',
  ];
}

export async function run(opts: SetupKubeOptions, io: CommandIO): Promise<number> {
  const profile = resolveProfileName(readEffectiveConfigPlain(io.env), opts.profile);
  const kubectl = (args: string[]) => {
    try {
      return execFileSync('kubectl', [...(opts.kubeconfig ? [`--kubeconfig=${opts.kubeconfig}`] : []), ...args], {
        env: io.env as NodeJS.ProcessEnv,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: string };
      if (err.code === 'ENOENT') throw new AuthctlError('usage', 'kubectl is not on PATH: install kubectl, then run this again');
      throw new AuthctlError('usage', `kubectl ${args.slice(0, 2).join(' ')} failed: ${err.stderr?.trim() || err.message}`);
    }
  };
  const contexts = kubectl(['config', 'get-contexts', '-o', 'name']).split('\n').map((s) => s.trim());
  if (!contexts.includes(opts.context)) {
    throw new AuthctlError('usage', `no kubeconfig context named "${opts.context}" (known: ${contexts.filter(Boolean).join(', ') || 'none'}): create it with \`kubectl config set-context\``);
  }
  const user = `authctl-${profile}`;
  kubectl(credentialArgs(user, opts.self ?? selfCommand(), profile));
  kubectl(['config', 'set-context', opts.context, `--user=${user}`]);
  io.stderr.write(`kubectl context "${opts.context}" now gets its token from authctl (profile "${profile}", user "${user}").\n`);
  return EXIT.ok;
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseCommandArgs(SETUP_KUBE_SPEC, argv);
  if (!values.context) throw new AuthctlError('usage', 'which context? authctl setup-kube --context C [--profile P]');
  return run({ context: values.context, profile: values.profile ?? (io.env.AUTHCTL_PROFILE || undefined), kubeconfig: values.kubeconfig }, io);
}
