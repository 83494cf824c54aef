// The match rules live in shared/ because the agent resolves `gitRequest` (the native client) alike.
export { hostMatches, matchProfile, normalisePath, ruleMatches, transportAllowsToken } from '../../../shared/git-match.js';
