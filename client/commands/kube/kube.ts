/**
 * `authctl kube [--profile P]`: a kubectl exec credential plugin. It answers with the same
 * apiVersion kubectl asked for (v1 or v1beta1), the agent's token and its expiry, and uses
 * the cluster's `audience` when kubectl passes cluster info. With `interactive: false` it
 * never prompts: it fails with a clear message on stderr and the exit code of the table.
 *
 * kubectl runs the plugin again after a 401, but it also runs it more than once per process
 * without one, and tells the plugin nothing: a retry cannot be told apart, so the plugin
 * does not drop the cached token (a revoked token is replaced when it expires).
 */
import { parseCommandArgs } from '../../cli/parse.js';
import { KUBE_SPEC } from './spec.js';
import type { TokenRequest, TokenResponse } from '../../../shared/api.js';
import type { CommandIO } from '../../io.js';
import { hasTerminal, tokenOrLogin } from '../../lib/token-or-login.js';
import { execCredential, parseExecInfo, sameServer, type ExecInfo } from './exec-info.js';
import { resolveProfileName } from '../../../shared/config.js';
import { AuthctlError, EXIT } from '../../../shared/errors.js';
import { readEffectiveConfigPlain } from '../../lib/config-file.js';
import { terminalSafe } from '../../../shared/terminal-text.js';

export interface KubeOptions {
  profile?: string;
}

export async function run(opts: KubeOptions, io: CommandIO): Promise<number> {
  const info = parseExecInfo(io.env.KUBERNETES_EXEC_INFO);
  checkCluster(info, opts.profile, io.env);
  if (io.env.AUTHCTL_TOKEN) {
    io.stdout.write(execCredential(info.apiVersion, io.env.AUTHCTL_TOKEN, 0));
    return EXIT.ok;
  }
  const req: TokenRequest = { profile: opts.profile };
  if (info.audience) req.audience = info.audience;
  const token: TokenResponse = await tokenOrLogin(io, req, () => info.interactive && hasTerminal());
  if (token.warning) io.stderr.write(`authctl: warning: ${terminalSafe(token.warning)}\n`);
  io.stdout.write(execCredential(info.apiVersion, token.accessToken, token.expiresAt));
  return EXIT.ok;
}

/**
 * A profile that lists its `clusters` answers only when kubectl says (provideClusterInfo) it is
 * about to talk to one of them: a kubeconfig pointing this user at another server gets nothing.
 */
function checkCluster(info: ExecInfo, requested: string | undefined, env: CommandIO['env']): void {
  let profile;
  try {
    const cfg = readEffectiveConfigPlain(env);
    profile = cfg.profiles.get(resolveProfileName(cfg, requested));
  } catch {
    return; // no such profile, or a broken config: the agent says so with its own error
  }
  const clusters = profile?.clusters;
  if (!clusters?.length) return;
  if (!info.server) {
    throw new AuthctlError(
      'usage',
      `profile "${profile!.name}" answers only for its clusters, and kubectl did not say which cluster this is: set provideClusterInfo: true in the kubeconfig's exec stanza (\`authctl setup-kube\` does)`,
    );
  }
  if (!clusters.some((c) => sameServer(c, info.server!))) {
    throw new AuthctlError(
      'usage',
      `profile "${profile!.name}" answers only for ${clusters.join(', ')}, not for ${terminalSafe(info.server)}: add the server to the profile's "clusters", or use another profile for it`,
    );
  }
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseCommandArgs(KUBE_SPEC, argv);
  return run({ profile: values.profile ?? (io.env.AUTHCTL_PROFILE || undefined) }, io);
}
