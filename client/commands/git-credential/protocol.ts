/**
 * git's credential helper wire format (git-credential(1), "INPUT/OUTPUT FORMAT"): one
 * `key=value` per line, `key[]` repeatable, ended by a blank line or end of input; no
 * quoting, so a value can never hold a newline or NUL.
 */
import type { Readable } from 'node:stream';

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
      const line = pending.slice(0, nl).replace(/\r$/, '');
      pending = pending.slice(nl + 1);
      if (line === '') return out;
      addLine(out, line);
    }
    if (pending.length > MAX_LINE) throw new Error('a credential line is longer than 65535 bytes');
  }
  if (pending) addLine(out, pending);
  return out;
}

function addLine(out: GitCredential, line: string): void {
  const eq = line.indexOf('=');
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
  if (url.pathname && url.pathname !== '/') out.path = decodeURIComponent(url.pathname.slice(1));
  if (url.username) out.username = decodeURIComponent(url.username);
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
