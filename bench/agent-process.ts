/**
 * One-off CLI commands for the bench's setup steps. The agent itself runs through the
 * test fixture (`test/fixtures/agent-process.ts`), the same way the tests run it.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The installed entry point, resolved from dist/bench/ back to the checkout. */
export const CLI = fileURLToPath(new URL('../../bin/authctl.js', import.meta.url));

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `authctl ARGS` to completion (synchronously; for setup steps, not for timing). */
export function cli(args: string[], env: Record<string, string>): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function cliOrThrow(args: string[], env: Record<string, string>): CliRun {
  const r = cli(args, env);
  if (r.status !== 0) throw new Error(`authctl ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return r;
}
