/**
 * What a CLI sends the agent for a federation profile (workload identity federation in CI).
 * The agent is long-lived and may have been started outside this job, so the job's own
 * values (GitHub's request URL and token, a GitLab id_tokens variable) come from the asking
 * process's environment, with each token request, and are never kept by the agent. Pure
 * functions only: clients pass their environment in.
 */
import type { FederationSource } from './config.js';

export interface FederationInput {
  /** Which CI the client's environment says it runs in; absent outside CI. */
  ci?: 'github-actions' | 'gitlab' | 'ci';
  /** github-actions: $ACTIONS_ID_TOKEN_REQUEST_URL and $ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
  requestUrl?: string;
  requestToken?: string;
  /** gitlab and env: the named variable's value, the identity token itself. */
  identityToken?: string;
}

/** Sent by the agent with `federation_input_required`: what to read from the environment. */
export interface FederationInputAsk {
  source: FederationSource;
  variable?: string;
}

export const GITHUB_REQUEST_URL = 'ACTIONS_ID_TOKEN_REQUEST_URL';
export const GITHUB_REQUEST_TOKEN = 'ACTIONS_ID_TOKEN_REQUEST_TOKEN';
/** Identity tokens are JWTs of a few KiB; anything longer is not one. */
export const MAX_IDENTITY_TOKEN = 16 * 1024;

export function ciOf(env: Record<string, string | undefined>): FederationInput['ci'] {
  if (env.GITHUB_ACTIONS === 'true') return 'github-actions';
  if (env.GITLAB_CI === 'true') return 'gitlab';
  if (env.CI && env.CI !== 'false' && env.CI !== '0') return 'ci';
  return undefined;
}

/** Reads exactly what the agent asked for (the variable names come from the profile). */
export function collectFederationInput(env: Record<string, string | undefined>, ask: Partial<FederationInputAsk>): FederationInput {
  const out: FederationInput = {};
  const ci = ciOf(env);
  if (ci) out.ci = ci;
  if (ask.source === 'github-actions') {
    if (env[GITHUB_REQUEST_URL]) out.requestUrl = env[GITHUB_REQUEST_URL];
    if (env[GITHUB_REQUEST_TOKEN]) out.requestToken = env[GITHUB_REQUEST_TOKEN];
  } else if ((ask.source === 'gitlab' || ask.source === 'env') && typeof ask.variable === 'string' && ask.variable !== 'AUTHCTL_TOKEN') {
    const value = env[ask.variable]?.trim();
    if (value) out.identityToken = value;
  }
  return out;
}
