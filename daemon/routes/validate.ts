/**
 * Small, strict validators for request bodies: unknown fields and wrong types are a 400
 * with a message that names the field, so a caller in any language knows what to fix.
 */
import { AuthctlError } from '../../shared/errors.js';

type Kind = 'string' | 'boolean' | 'number' | 'string[]' | 'otp';

export function validateBody<T>(body: unknown, shape: Record<string, Kind>): T {
  if (body === undefined || body === null) return {} as T;
  if (typeof body !== 'object' || Array.isArray(body)) throw bad('the request body must be a JSON object');
  for (const [key, value] of Object.entries(body)) {
    const kind = Object.hasOwn(shape, key) ? shape[key] : undefined;
    if (!kind) throw bad(`unknown field "${key}"`);
    if (value === undefined || value === null) continue;
    if (!matches(kind, value)) throw bad(`"${key}" must be ${describe(kind)}`);
  }
  return body as T;
}

function matches(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof v === 'string' && v.length <= 2048;
    case 'boolean':
      return typeof v === 'boolean';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 31_536_000;
    case 'string[]':
      return Array.isArray(v) && v.length <= 64 && v.every((s) => typeof s === 'string' && s.length > 0 && s.length <= 256);
    case 'otp':
      return (
        typeof v === 'object' && v !== null && !Array.isArray(v) &&
        typeof (v as Record<string, unknown>).challengeId === 'string' &&
        typeof (v as Record<string, unknown>).code === 'string' &&
        Object.keys(v).length === 2
      );
  }
}

function describe(kind: Kind): string {
  return { string: 'a string', boolean: 'true or false', number: 'a non-negative number', 'string[]': 'a list of strings', otp: 'an object { challengeId, code }' }[kind];
}

function bad(message: string): AuthctlError {
  return new AuthctlError('bad_request', message);
}
