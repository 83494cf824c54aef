/**
 * Sources `env` and `gitlab`: the identity token is the value of a variable in the CI job's
 * environment (GitLab: the job's `id_tokens` entry). The CLI reads it, since the agent's
 * own environment is not the job's.
 */
import { AuthctlError } from '../../../shared/errors.js';
import { bindingOf, type IdentitySource, type SourceContext } from '../types.js';
import { federationInputRequired, outsideCi } from './missing.js';

export function variableSource({ profile, input }: SourceContext): IdentitySource {
  const fed = profile.federation!;
  const variable = fed.variable!;
  if (!input) throw federationInputRequired(profile.name, { source: fed.source, variable });
  const value = input.identityToken;
  if (!value) {
    if (fed.source === 'gitlab') {
      if (input.ci !== 'gitlab') throw outsideCi(profile.name, 'a GitLab CI job');
      throw new AuthctlError(
        'ci_identity_missing',
        `this job has no identity token in $${variable}: add \`id_tokens: { ${variable}: { aud: "${profile.issuer}" } }\` to the job in .gitlab-ci.yml`,
        { profile: profile.name },
      );
    }
    if (!input.ci) throw outsideCi(profile.name, 'a CI job that sets $' + variable);
    throw new AuthctlError('ci_identity_missing', `$${variable} is not set in this job: profile "${profile.name}" exchanges the identity token it holds`, { profile: profile.name });
  }
  if (value.split('.').length !== 3) {
    throw new AuthctlError('ci_identity_missing', `$${variable} does not hold a JWT (an identity token has three dot-separated parts)`, { profile: profile.name });
  }
  return { binding: bindingOf('variable', value), token: async () => value };
}
