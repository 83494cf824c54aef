/**
 * `authctl verify [--issuer URL | --profile P] [--audience A] [--scope S]... [TOKEN | -]`:
 * what an API server would conclude about a token, offline (authctl/verify), no agent.
 * stdout: the verified claims as JSON (exit 0); an invalid token or a missing scope: why,
 * on stderr (exit 3); keys out of reach: exit 5; usage: exit 2.
 */
import { parseCommandArgs } from '../../cli/parse.js';
import { VERIFY_SPEC } from './spec.js';
import { resolveProfileName } from '../../../shared/config.js';
import { AuthctlError, EXIT } from '../../../shared/errors.js';
import { createVerifier, VerifyError } from '../../../verify/index.js';
import type { CommandIO } from '../../io.js';
import { readEffectiveConfigPlain } from '../../lib/config-file.js';

export interface VerifyOptions {
  issuer?: string;
  profile?: string;
  audience?: string;
  scopes: string[];
  /** The token, "-" or undefined for stdin. */
  token?: string;
}


export function parseVerifyArgs(argv: string[]): VerifyOptions {
  const { values, positionals } = parseCommandArgs(VERIFY_SPEC, argv);
  if (values.issuer && values.profile) throw new AuthctlError('usage', '--issuer and --profile cannot be combined');
  return {
    issuer: values.issuer,
    profile: values.profile,
    audience: values.audience,
    scopes: (values.scope ?? []).flatMap((s) => s.split(/[\s,]+/)).filter(Boolean),
    token: positionals[0],
  };
}

export async function run(opts: VerifyOptions, io: CommandIO): Promise<number> {
  let issuer = opts.issuer;
  let audience = opts.audience;
  if (!issuer) {
    const cfg = readEffectiveConfigPlain(io.env);
    const profile = cfg.profiles.get(resolveProfileName(cfg, opts.profile ?? (io.env.AUTHCTL_PROFILE || undefined)))!;
    issuer = profile.issuer;
    audience ??= profile.resource ?? profile.audience;
  }
  if (!audience) throw new AuthctlError('usage', 'which API is the token for? give --audience (the profile names no resource or audience)');
  let verify;
  try {
    verify = createVerifier({ issuer, audience, scopes: opts.scopes });
  } catch (e) {
    throw new AuthctlError('usage', (e as Error).message);
  }
  const token = opts.token && opts.token !== '-' ? opts.token : await readAll(io.stdin);
  try {
    const { claims } = await verify(token);
    io.stdout.write(JSON.stringify(claims, null, 2) + '\n');
    return EXIT.ok;
  } catch (e) {
    if (!(e instanceof VerifyError)) throw e;
    if (e.code === 'jwks_unavailable') {
      io.stderr.write(`authctl: cannot check the token: ${e.message} (issuer ${issuer})\nIs the issuer URL right? Check the network and the provider with \`authctl doctor\`.\n`);
      return EXIT.idp;
    }
    io.stderr.write(`authctl: ${e.code === 'insufficient_scope' ? 'insufficient scope' : 'invalid token'}: ${e.message}\n`);
    return EXIT.loginRequired;
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += chunk.toString();
    if (text.length > 64 * 1024) throw new AuthctlError('usage', 'stdin holds more than a token');
  }
  return text.trim();
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  return run(parseVerifyArgs(argv), io);
}
