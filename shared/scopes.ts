/**
 * Scope tokens as RFC 6749 §3.3 defines them: `scope-token = 1*NQCHAR`, with
 * NQCHAR = %x21 / %x23-5B / %x5D-7E (printable ASCII except space, `"` and `\`). The agent
 * API also refuses a comma, which NQCHAR allows but which in a scope is almost always a
 * list typed the wrong way ("a,b"). Pure functions, shared by the agent and the CLI.
 */
const SCOPE_TOKEN = /^[\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]+$/;

export function isScopeToken(s: string): boolean {
  return SCOPE_TOKEN.test(s);
}

/** Duplicates dropped, order kept: the order is what goes on the wire (Entra picks the resource from the first scope). */
export function uniqueInOrder(scopes: readonly string[]): string[] {
  return [...new Set(scopes)];
}
