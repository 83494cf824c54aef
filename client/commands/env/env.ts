/**
 * `authctl env [--profile P] [--env NAME] [--format sh|fish|json]`: the token and its
 * expiry as assignments for `eval "$(authctl env)"` (sh, bash, zsh), `authctl env --format
 * fish | source`, or a JSON object for other tools. Values are always single-quoted.
 */
import { parseCommandArgs } from '../../cli/parse.js';
import { ENV_SPEC } from './spec.js';
import { AuthctlError, EXIT } from '../../../shared/errors.js';
import type { CommandIO } from '../../io.js';
import { fishQuote, shQuote } from './quote.js';
import { tokenEnvironment, type TokenEnvOptions } from './token-env.js';

export const FORMATS = ['sh', 'fish', 'json'] as const;
export type EnvFormat = (typeof FORMATS)[number];

export interface EnvOptions extends TokenEnvOptions {
  format: EnvFormat;
}

export async function run(opts: EnvOptions, io: CommandIO): Promise<number> {
  const { vars } = await tokenEnvironment(opts, io);
  io.stdout.write(formatAssignments(vars, opts.format));
  return EXIT.ok;
}

export function formatAssignments(vars: Array<[string, string]>, format: EnvFormat): string {
  switch (format) {
    case 'sh':
      return vars.map(([k, v]) => `export ${k}=${shQuote(v)}\n`).join('');
    case 'fish':
      return vars.map(([k, v]) => `set -gx ${k} ${fishQuote(v)}\n`).join('');
    case 'json':
      return JSON.stringify(Object.fromEntries(vars)) + '\n';
  }
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseCommandArgs(ENV_SPEC, argv);
  const format = values.format as EnvFormat;
  if (!FORMATS.includes(format)) throw new AuthctlError('usage', `--format must be one of ${FORMATS.join(', ')}, not "${values.format}"`);
  return run({ profile: values.profile ?? (io.env.AUTHCTL_PROFILE || undefined), envName: values.env, format }, io);
}
