/**
 * `authctl token`: stdout carries exactly the token and a newline (or the chosen
 * format); everything for people goes to stderr. With AUTHCTL_TOKEN set (a pre-issued
 * token in CI), it prints that and never contacts an agent.
 */
import { parseCommandArgs } from '../../cli/parse.js';
import { TOKEN_SPEC } from './spec.js';
import type { TokenRequest, TokenResponse } from '../../../shared/api.js';
import { AuthctlError, EXIT } from '../../../shared/errors.js';
import type { CommandIO } from '../../io.js';
import { shQuote } from '../env/quote.js';
import { terminalSafe } from '../../../shared/terminal-text.js';

export interface TokenOptions {
  profile?: string;
  scopes: string[];
  audience?: string;
  resource?: string;
  minValid?: number;
  privileged: boolean;
  format: 'plain' | 'json' | 'header' | 'env';
  /** Print the agent's steps for this request on stderr. */
  verbose?: boolean;
}

export function parseTokenArgs(argv: string[], env: CommandIO['env']): TokenOptions {
  const { values } = parseCommandArgs(TOKEN_SPEC, argv);
  const formats = (['json', 'header', 'env'] as const).filter((f) => values[f]);
  if (formats.length > 1) throw new AuthctlError('usage', `--${formats[0]} and --${formats[1]} cannot be combined`);
  let minValid: number | undefined;
  if (values['min-valid'] !== undefined) {
    minValid = Number(values['min-valid']);
    if (!/^\d+$/.test(values['min-valid']) || minValid > 86400)
      throw new AuthctlError('usage', `--min-valid must be a whole number of seconds (0-86400), not "${values['min-valid']}"`);
  }
  return {
    profile: values.profile ?? (env.AUTHCTL_PROFILE || undefined),
    scopes: (values.scope ?? []).flatMap((s) => s.split(/[\s,]+/)).filter(Boolean),
    audience: values.audience,
    resource: values.resource,
    minValid,
    privileged: values.privileged,
    format: formats[0] ?? 'plain',
    ...(values.verbose ? { verbose: true } : {}),
  };
}

export async function run(opts: TokenOptions, io: CommandIO): Promise<number> {
  const preissued = io.env.AUTHCTL_TOKEN;
  if (preissued) {
    io.stdout.write(formatToken({ accessToken: preissued, tokenType: 'Bearer', expiresAt: 0, scopes: [], profile: '' }, opts.format));
    return EXIT.ok;
  }
  const req: TokenRequest = { profile: opts.profile, audience: opts.audience, resource: opts.resource };
  if (opts.scopes.length) req.scopes = opts.scopes;
  if (opts.minValid !== undefined) req.minValidSeconds = opts.minValid;
  if (opts.privileged) req.privileged = true;
  if (opts.verbose) req.verbose = true;
  const send = (otp?: TokenRequest['otp']) => io.agent().call<TokenResponse>('POST', '/v1/token', otp ? { ...req, otp } : req);
  let token: TokenResponse;
  try {
    token = await send();
  } catch (e) {
    printSteps(io, (e as AuthctlError)?.details?.steps);
    if (!(e instanceof AuthctlError) || e.code !== 'otp_required') throw e;
    // Only a privileged request gets here; the prompt module is loaded for it alone.
    const { answerChallenges } = await import('../../otp-prompt.js');
    token = await answerChallenges(e, io, send);
  }
  printSteps(io, token.steps);
  delete token.steps;
  if (token.warning) io.stderr.write(`authctl: warning: ${terminalSafe(token.warning)}\n`);
  io.stdout.write(formatToken(token, opts.format));
  return EXIT.ok;
}

/** `--verbose`: the agent's steps, one per line on stderr (they come from the agent: shown without control characters). */
function printSteps(io: CommandIO, steps: unknown): void {
  if (!Array.isArray(steps)) return;
  for (const s of steps) io.stderr.write(`authctl: agent: ${terminalSafe(String(s))}\n`);
}

export function formatToken(t: TokenResponse, format: TokenOptions['format']): string {
  switch (format) {
    case 'json':
      return JSON.stringify(t) + '\n';
    case 'header':
      return `Authorization: ${t.tokenType === 'DPoP' ? 'DPoP' : 'Bearer'} ${t.accessToken}\n`;
    case 'env':
      return `AUTHCTL_ACCESS_TOKEN=${shellWord(t.accessToken)}\n`;
    default:
      return t.accessToken + '\n';
  }
}

/** Tokens are plain base64url/JWT text: bare when safe, else quoted as `authctl env` does. */
function shellWord(s: string): string {
  return /^[A-Za-z0-9._~+/=-]+$/.test(s) ? s : shQuote(s);
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  return run(parseTokenArgs(argv, io.env), io);
}
