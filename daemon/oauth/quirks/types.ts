/**
 * The shape of a provider quirk: small rewriters that turn one provider's dialect of
 * RFC 6749 / RFC 8628 into the standard shape openid-client expects. Composed by
 * `withQuirks` in ../transport.ts; one file per provider family.
 */

/** An outgoing OAuth request (always a form POST); rewriters may edit it in place. */
export interface OAuthRequest {
  url: URL;
  params: URLSearchParams;
  headers: Headers;
}

/** A provider's answer with its body parsed (JSON, or a form); rewriters edit it in place. */
export interface ProviderAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export interface ProviderQuirks {
  /** Adjusts a request before it leaves (headers, parameter names). */
  request?(req: OAuthRequest): void;
  /** Waits before a request leaves, when the provider asked for more time than the client gives. */
  beforeSend?(req: OAuthRequest, signal?: AbortSignal): Promise<void>;
  /** Rewrites an answer into the standard shape. */
  response?(res: ProviderAnswer, req: OAuthRequest): void;
}

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** Renames an OAuth error code in an answer. */
export function renameError(res: ProviderAnswer, from: string, to: string): void {
  if (res.body.error === from) res.body.error = to;
}
