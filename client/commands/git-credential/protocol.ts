/**
 * git's credential helper wire format (git-credential(1), "INPUT/OUTPUT FORMAT"): one
 * `key=value` per line, `key[]` repeatable, ended by a blank line or end of input; no
 * quoting, so a value can never hold a newline or NUL. A carriage return inside a value is
 * refused (CVE-2024-52006: helpers that read a lone CR as a line end could be made to see
 * another host than git meant), and so is NUL; a CR right before the newline is a CRLF line
 * end and is dropped, as git's own reader does.
 */
import type { Readable } from 'node:stream';
import { AuthctlError } from '../../../shared/errors.js';

export interface GitCredential {
  protocol?: string;
  host?: string;
  path?: string;
  username?: string;
  password?: string;
  /** capability[]: what the calling git understands (e.g. "authtype" from git 2.46). */
  capabilities: string[];
  wwwauth: string[];
}

const MAX_LINE = 65535;

/** Reads attributes until a blank line or the end of input. */
export async function readCredential(stdin: Readable): Promise<GitCredential> {
  const out: GitCredential = { capabilities: [], wwwauth: [] };
  let pending = '';
  for await (const chunk of stdin) {
    pending += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).replace(/\r$/, ''); // CRLF: the CR is the line end's
      pending = pending.slice(nl + 1);
      if (line === '') return out;
      addLine(out, line);
    }
    if (pending.length > MAX_LINE) throw new Error('a credential line is longer than 65535 bytes');
  }
  if (pending) addLine(out, pending.replace(/\r$/, ''));
  return out;
}

function addLine(out: GitCredential, line: string): void {
  const eq = line.indexOf('=');
  if (/[\r\0]/.test(line)) throw unsafeValue(eq > 0 ? line.slice(0, eq) : 'a line');
  if (eq <= 0) return;
  const key = line.slice(0, eq);
  const value = line.slice(eq + 1);
  switch (key) {
    case 'protocol':
    case 'host':
    case 'path':
    case 'username':
    case 'password':
      out[key] = value;
      break;
    case 'capability[]':
      // An empty value resets the list (git-credential(1)).
      if (value === '') out.capabilities = [];
      else out.capabilities.push(value);
      break;
    case 'wwwauth[]':
      if (value === '') out.wwwauth = [];
      else out.wwwauth.push(value);
      break;
    case 'url':
      applyUrl(out, value);
      break;
    default:
      break; // Unrecognised attributes are discarded, as the format asks.
  }
}

function applyUrl(out: GitCredential, value: string): void {
  const url = URL.parse(value);
  if (!url) return;
  out.protocol = url.protocol.replace(/:$/, '');
  out.host = url.host;
  // %0d, %0a and %00 decode to the very characters the format cannot carry.
  const decoded = (part: string, name: string) => {
    const text = safeDecode(part);
    if (/[\r\n\0]/.test(text)) throw unsafeValue(`url (its ${name})`);
    return text;
  };
  if (url.pathname && url.pathname !== '/') out.path = decoded(url.pathname.slice(1), 'path');
  if (url.username) out.username = decoded(url.username, 'username');
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part; // a stray "%": keep it as written
  }
}

function unsafeValue(key: string): AuthctlError {
  return new AuthctlError('bad_request', `git sent a credential attribute (${key}) with a carriage return or NUL in it; not answering (CVE-2024-52006): check the remote URL`);
}

/** Formats attributes for git; refuses a value git could not read back. */
export function formatCredential(pairs: Array<[string, string]>): string {
  return pairs
    .map(([k, v]) => {
      if (/[\n\0]/.test(v)) throw new Error(`the value of "${k}" contains a newline or NUL`);
      return `${k}=${v}\n`;
    })
    .join('');
}
