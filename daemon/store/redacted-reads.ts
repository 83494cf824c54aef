/**
 * A refresh token read back from the store (after an agent restart) is a secret the log
 * redactor has not seen: register it on every read, as the broker registers fresh ones, so a
 * provider error that echoes it, or a debug line, is masked too. The store's own `get` is
 * wrapped in place, so any store (and any method it gains) keeps working unchanged.
 */
import type { SessionStore } from './session-store.js';

export function registerSecretsOnRead<S extends SessionStore>(store: S, remember: (secret: string | undefined) => void): S {
  const get = store.get.bind(store);
  store.get = async (profile: string) => {
    const session = await get(profile);
    remember(session?.refreshToken);
    // A session without a refresh token keeps its access token (session-lifecycle.ts).
    remember(session?.accessToken);
    return session;
  };
  return store;
}
