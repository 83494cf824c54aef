import type { TokenRequest, TokenResponse } from '../../shared/api.js';
import { AuthctlError } from '../../shared/errors.js';
import { DEFAULT_REGISTRY_USERNAME, insecureTransport, profileForRegistry } from '../../shared/registry.js';
import { matchProfile, transportAllowsToken } from '../../shared/git-match.js';
import type { TokenBroker } from '../broker/token-broker.js';
import { withTrace } from '../trace.js';
import type { RouteContext } from './context.js';
import { validateBody } from './validate.js';

/** POST /v1/token */
export function token({ body, broker, peer }: RouteContext): Promise<TokenResponse> {
  const req = validateBody<TokenRequest>(body, {
    profile: 'string',
    scopes: 'scopes',
    audience: 'string',
    resource: 'string',
    minValidSeconds: 'number',
    privileged: 'boolean',
    otp: 'otp',
    federation: 'federation',
    verbose: 'boolean',
    registry: 'string',
    gitRequest: 'gitRequest',
  });
  if (typeof req.registry === 'string' && req.gitRequest) throw new AuthctlError('bad_request', 'send "registry" or "gitRequest", not both');
  if (typeof req.registry === 'string') return forRegistry(req, broker, (r) => get(r, broker, peer));
  if (req.gitRequest) return forGitRemote(req, broker, (r) => get(r, broker, peer));
  return get(req, broker, peer);
}

function get(req: TokenRequest, broker: TokenBroker, peer: RouteContext['peer']): Promise<TokenResponse> {
  if (!req.verbose) return broker.getToken(req, peer);
  return traced(() => broker.getToken(req, peer));
}

/**
 * `registry` instead of `profile`: the profile `docker-credential get` would pick from the
 * config the agent holds, so a client that cannot read the config (the native one) can ask.
 */
async function forRegistry(req: TokenRequest, broker: TokenBroker, ask: (req: TokenRequest) => Promise<TokenResponse>): Promise<TokenResponse> {
  const { registry, ...rest } = req;
  if (rest.profile !== undefined && rest.profile !== null) throw new AuthctlError('bad_request', 'send "profile" or "registry", not both');
  const profile = profileForRegistry(broker.config(), registry!);
  if (!profile) throw new AuthctlError('no_matching_profile', 'no profile lists this registry: add it to a profile\'s "registries" (authctl setup-docker)');
  if (insecureTransport(registry!)) throw new AuthctlError('no_matching_profile', 'not sending a token over plain http to a registry that is not this machine: use https');
  const answer = await ask({ ...rest, profile: profile.name });
  return { ...answer, registryUsername: profile.registryUsername ?? DEFAULT_REGISTRY_USERNAME };
}

/**
 * `gitRequest` instead of `profile`: the profile git's helper without `--profile` would pick by
 * the config's `match` rules, with what the client needs to word git's answer.
 */
async function forGitRemote(req: TokenRequest, broker: TokenBroker, ask: (req: TokenRequest) => Promise<TokenResponse>): Promise<TokenResponse> {
  const { gitRequest, ...rest } = req;
  if (rest.profile !== undefined && rest.profile !== null) throw new AuthctlError('bad_request', 'send "profile" or "gitRequest", not both');
  const cfg = broker.config();
  const name = matchProfile(cfg, gitRequest!);
  if (!name) throw new AuthctlError('no_matching_profile', 'no profile\'s "match" rules fit this git remote: add a rule, or use --profile (authctl setup-git)');
  if (!transportAllowsToken(gitRequest!)) throw new AuthctlError('no_matching_profile', 'not sending a token over plain http to a git host that is not this machine: use https');
  const profile = cfg.profiles.get(name)!;
  const answer = await ask({ ...rest, profile: name });
  return { ...answer, gitAuthType: profile.gitAuthType ?? 'basic', ...(profile.gitUsername === undefined ? {} : { gitUsername: profile.gitUsername }) };
}

/** `--verbose`: the steps go back with the answer, or with the error. */
async function traced(run: () => Promise<TokenResponse>): Promise<TokenResponse> {
  const steps: string[] = [];
  try {
    return { ...(await withTrace((line) => steps.push(line), run)), steps };
  } catch (e) {
    const err = e instanceof AuthctlError ? e : new AuthctlError('internal', (e as Error).message);
    throw new AuthctlError(err.code, err.message, { ...err.details, steps });
  }
}
