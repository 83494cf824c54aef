/**
 * Google: nothing of its dialect is Google's alone any more. `verification_url` for
 * RFC 8628's `verification_uri` is read generically (generic.ts), as are its 428/403 error
 * statuses; its client secret for installed apps is sent by the engine with
 * client_secret_post, and a refresh answer without a refresh token keeps the one the
 * broker has. The preset stays for its endpoints and the secret.
 */
import type { ProviderQuirks } from './types.js';

export const google: ProviderQuirks = {};
