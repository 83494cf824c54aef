/** Workload identity federation: which source reads the CI identity token, which exchange spends it. */
import type * as oidc from 'openid-client';
import type { ResolvedProfile } from '../../shared/config.js';
import type { TokenParams, TokenSet } from '../oauth/oauth-engine.js';
import { clientCredentialsWithAssertion } from './client-assertion.js';
import { FileSource } from './sources/file.js';
import { githubActionsSource } from './sources/github-actions.js';
import { variableSource } from './sources/env.js';
import { exchangeIdentityToken } from './token-exchange.js';
import type { IdentitySource, SourceContext } from './types.js';

export type { IdentitySource, SourceContext };

export class IdentitySources {
  private readonly files = new FileSource();

  open(ctx: SourceContext): Promise<IdentitySource> {
    switch (ctx.profile.federation!.source) {
      case 'github-actions':
        return Promise.resolve().then(() => githubActionsSource(ctx));
      case 'gitlab':
      case 'env':
        return Promise.resolve().then(() => variableSource(ctx));
      case 'file':
        return this.files.open(ctx);
    }
  }
}

export function exchange(profile: ResolvedProfile, config: oidc.Configuration, identityToken: string, params: TokenParams): Promise<TokenSet> {
  return profile.federation!.exchange === 'client-assertion'
    ? clientCredentialsWithAssertion(config, identityToken, params)
    : exchangeIdentityToken(config, identityToken, params);
}
