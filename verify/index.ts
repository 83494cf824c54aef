/**
 * `authctl/verify`: offline access-token verification for API servers (JWTs from the
 * issuer's published keys, and PATs). No agent involved; it imports jose and shared/ only.
 */
export { createVerifier, scopesOf, ASYMMETRIC_ALGORITHMS, type PatRecord, type Verified, type VerifierOptions, type Verify } from './verifier.js';
export { VerifyError, isVerifyError, type VerifyErrorCode } from './errors.js';
export { authenticate } from './http.js';
export { createPat, checkPatFormat, hashPat, type CreatedPat } from './pat.js';
