/**
 * What `authctl service` does to the machine: write and remove the files it owns (never a
 * file it did not write) and run the service manager's own commands, without a shell.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AuthctlError } from '../../../shared/errors.js';
import { isOurs } from './render.js';

export interface PlannedFile {
  path: string;
  content: string;
  mode: number;
}

export type FileState = 'absent' | 'ours' | 'foreign';

export function fileState(path: string): FileState {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw fileError('read', path, e);
  }
  return isOurs(content) ? 'ours' : 'foreign';
}

export function describeFile(path: string): string {
  return `${path}: ${{ absent: 'not installed', ours: 'installed by authctl', foreign: 'present, not written by authctl' }[fileState(path)]}`;
}

/** Writes every file, or none if one of them is in the way (someone else's file of the same name). */
export function writeFiles(files: PlannedFile[]): void {
  for (const f of files) {
    if (fileState(f.path) === 'foreign')
      throw new AuthctlError('forbidden', `${f.path} exists and was not written by authctl; not replacing it: move it away first (or keep it and skip \`authctl service install\`)`);
  }
  for (const f of files) {
    try {
      mkdirSync(dirname(f.path), { recursive: true, mode: 0o755 });
      writeFileSync(f.path, f.content, { mode: f.mode });
      chmodSync(f.path, f.mode);
    } catch (e) {
      throw fileError('write', f.path, e);
    }
  }
}

/** Removes the files install wrote; returns those left alone because someone else wrote them. */
export function removeOurFiles(paths: string[]): { removed: string[]; kept: string[] } {
  const removed: string[] = [];
  const kept: string[] = [];
  for (const path of paths) {
    const state = fileState(path);
    if (state === 'foreign') kept.push(path);
    if (state !== 'ours') continue;
    try {
      unlinkSync(path);
    } catch (e) {
      throw fileError('remove', path, e);
    }
    removed.push(path);
  }
  return { removed, kept };
}

function fileError(what: string, path: string, e: unknown): AuthctlError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return new AuthctlError('forbidden', `cannot ${what} ${path} (${code}): for --system-wide, run the command as root (sudo)`);
  return new AuthctlError('internal', `cannot ${what} ${path} (${code ?? (e as Error).message})`);
}

export interface CommandResult {
  ok: boolean;
  /** The program is not installed at all. */
  missing: boolean;
  stdout: string;
  /** The first line of stderr, for messages. */
  error: string;
}

export function runCommand(argv: string[], env: Record<string, string | undefined>): CommandResult {
  const r = spawnSync(argv[0]!, argv.slice(1), { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  const error = (r.stderr ?? '').trim().split('\n')[0] || (r.error?.message ?? (r.status !== 0 ? `exit code ${r.status}` : ''));
  return { ok: !r.error && r.status === 0, missing, stdout: (r.stdout ?? '').trim(), error };
}

/** Runs a command that must succeed; the error names it and what it said. */
export function mustRun(argv: string[], env: Record<string, string | undefined>): CommandResult {
  const r = runCommand(argv, env);
  if (!r.ok) throw new AuthctlError('internal', `\`${argv.join(' ')}\` failed: ${r.error}`);
  return r;
}
