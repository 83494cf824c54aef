/**
 * The agent refuses to run instrumented: with an inspector open, or with Node flags that
 * open one or load foreign code before ours (`--inspect*`, `--require`/`-r`, `--import`,
 * `--loader`/`--experimental-loader`), whether on its command line or in NODE_OPTIONS.
 * An inspector is a debugger on a loopback port any local user can attach to; a preloaded
 * module runs inside the agent with its tokens. IDE debug terminals set such variables.
 */
import { url as inspectorUrl } from 'node:inspector';

const FORBIDDEN = /^(--inspect(-brk|-wait|-port|-publish-uid)?|--debug(-brk|-port)?|--require|-r|--import|--loader|--experimental-loader)(=.*)?$/;

/** The offending flags in `args` (an execArgv list, or NODE_OPTIONS split on spaces). */
export function forbiddenFlags(args: string[]): string[] {
  return args.filter((a) => FORBIDDEN.test(a) || /^-r./.test(a) && !a.startsWith('--'));
}

/** Why this process must not run as the agent, or undefined when it may. */
export function instrumentationProblem(
  execArgv: string[] = process.execArgv,
  nodeOptions: string | undefined = process.env.NODE_OPTIONS,
  inspector: string | undefined = inspectorUrl(),
): string | undefined {
  if (inspector) return `an inspector is open (${inspector})`;
  const flags = forbiddenFlags(execArgv);
  if (flags.length) return `it was started with ${flags.join(' ')}`;
  const fromEnv = forbiddenFlags((nodeOptions ?? '').split(/\s+/).filter(Boolean));
  if (fromEnv.length) return `NODE_OPTIONS contains ${fromEnv.join(' ')}`;
  return undefined;
}
