/** The errors every source shares: "send me the job's values" and "this is not a CI job". */
import { AuthctlError } from '../../../shared/errors.js';
import type { FederationInputAsk } from '../../../shared/federation.js';

/** Answered by authctl's own clients, which resend the request with the values asked for. */
export function federationInputRequired(profile: string, ask: FederationInputAsk): AuthctlError {
  return new AuthctlError(
    'federation_input_required',
    `profile "${profile}" exchanges the CI job's identity token: send the job's values as "federation" in the token request (authctl's clients do this themselves)`,
    { ...ask },
  );
}

export function outsideCi(profile: string, where: string): AuthctlError {
  return new AuthctlError(
    'usage',
    `profile "${profile}" exchanges a CI identity token and works only inside ${where}; outside CI, use a profile you log in to (\`authctl login\`)`,
    { profile },
  );
}
