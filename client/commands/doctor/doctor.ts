/**
 * `authctl doctor`: checks what a working setup needs, most basic first (socket directory,
 * agent, config, then what the agent reports, then each issuer), and says what to do about
 * each problem. It never starts an agent. Exit 0 when nothing failed, else the exit code
 * of the first failure: the most basic one is the most serious (often the cause of the
 * ones after it). Warnings (file storage, no peer check) are printed but do not fail.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseCommandArgs } from '../../cli/parse.js';
import { DOCTOR_SPEC } from './spec.js';
import type { DiagnosticsResponse, StatusResponse } from '../../../shared/api.js';
import { AuthctlError, EXIT, exitCodeFor, type ErrorCode } from '../../../shared/errors.js';
import { AgentClient, checkSocketDir } from '../../agent-client.js';
import type { CommandIO } from '../../io.js';
import { terminalSafe } from '../../../shared/terminal-text.js';
import { styleFor } from '../../style.js';
import { nativeClientCheck } from './native-client.js';

export interface Check {
  level: 'ok' | 'warn' | 'fail';
  name: string;
  detail: string;
  /** For a failure: what decides the exit code. */
  code?: ErrorCode;
}

/** `authctl doctor` takes no options (yet); the type keeps the commands' common shape. */
export type DoctorOptions = Record<string, never>;

export async function run(_opts: DoctorOptions, io: CommandIO): Promise<number> {
  const checks: Check[] = [];
  const { socketPath, uid } = io.agent().opts;

  const dirCheck = attempt('socket directory', 'agent_unavailable', () => {
    if (checkSocketDir(socketPath, uid, io.env) === 'forwarded') return `${socketPath}: forwarded by \`authctl ssh\` (yours, mode 600)`;
    const dir = dirname(socketPath);
    return existsSync(dir) ? `${dir}: yours, mode 700` : `${dir}: not created yet (the agent creates it, private)`;
  });
  checks.push(dirCheck);

  let status: StatusResponse | undefined;
  const client = new AgentClient({ socketPath, uid, autostart: false, env: io.env });
  if (dirCheck.level === 'fail') {
    checks.push({ level: 'fail', name: 'agent', detail: 'not contacted: the socket directory is not safe (see above)', code: 'agent_unavailable' });
  } else {
    try {
      status = await client.call<StatusResponse>('GET', '/v1/status');
      checks.push({ level: 'ok', name: 'agent', detail: `pid ${status.pid}, version ${status.version}, on ${status.socket}` });
    } catch (e) {
      checks.push(failure('agent', e, 'agent_unavailable'));
    }
  }

  const { readEffectiveConfig } = await import('../../profile-config.js');
  let profileCount: number | undefined;
  checks.push(
    attempt('config', 'config_invalid', () => {
      const cfg = readEffectiveConfig(io.env);
      profileCount = cfg.profiles.size + cfg.brokenProfiles.size;
      if (cfg.brokenProfiles.size) {
        const [name, problem] = [...cfg.brokenProfiles][0]!;
        throw new AuthctlError('config_invalid', `profile "${name}" is invalid (the others work): ${problem}`);
      }
      return `${cfg.profiles.size} profile(s)`;
    }),
  );
  if (profileCount === 0) checks.push({ level: 'warn', name: 'profiles', detail: 'none configured, so nothing can log in: add one with `authctl profile add NAME --issuer URL --client-id ID` (or `authctl login --issuer URL --client-id ID`)' });
  checks.push(nativeClientCheck());
  if (status) {
    checks.push(...agentChecks(status));
    if (!status.configErrors?.length) checks.push(...(await issuerChecks(client)));
  } else {
    checks.push({ level: 'warn', name: 'issuers', detail: 'not checked: the agent checks them, and no agent answers' });
  }

  const style = styleFor(io.stdout, io.env);
  for (const c of checks) io.stdout.write(`${style.mark(c.level)} ${c.name}: ${terminalSafe(c.detail)}\n`);
  const firstFailure = checks.find((c) => c.level === 'fail');
  const exit = firstFailure ? exitCodeFor(firstFailure.code ?? 'internal') : EXIT.ok;
  io.stdout.write(summary(checks, firstFailure, exit) + '\n');
  return exit;
}

/** The last line: the counts, and what to look at first. */
export function summary(checks: Check[], firstFailure: Check | undefined, exit: number): string {
  const count = (level: Check['level']) => checks.filter((c) => c.level === level).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const counts = `${count('ok')} ok, ${plural(count('warn'), 'warning')}, ${plural(count('fail'), 'failure')}`;
  if (firstFailure) return `Summary: ${counts}; fix "${firstFailure.name}" first, the others may follow from it (exit ${exit}).`;
  return count('warn') ? `Summary: ${counts}; authctl works (see the warnings above).` : `Summary: ${counts}; all checks passed.`;
}

/** What only the running agent knows: its peer check, its storage, its reading of the config. */
function agentChecks(s: StatusResponse): Check[] {
  const out: Check[] = [];
  out.push(
    s.peerCheck === 'available'
      ? { level: 'ok', name: 'peer check', detail: 'on: connections from other users are refused' }
      : {
          level: 'warn',
          name: 'peer check',
          detail: `peer check unavailable: the peer check is OFF, the agent does not verify who connects and relies on the socket directory permissions alone${s.peerCheckProblem ? ` (${s.peerCheckProblem})` : ''}; rebuild the native addon (\`node scripts/build-native.mjs\`) and restart the agent`,
        },
  );
  if (s.storage.error) out.push({ level: 'fail', name: 'storage', detail: `${s.storage.backend}: ${s.storage.error}`, code: 'keychain_unavailable' });
  else if (s.storage.warning) out.push({ level: 'warn', name: 'storage', detail: `${s.storage.backend}: ${s.storage.warning}` });
  else out.push({ level: 'ok', name: 'storage', detail: s.storage.backend });
  if (s.network) {
    const proxy = s.network.proxySource === 'none' ? 'no proxy' : `proxy ${s.network.httpsProxy ?? s.network.httpProxy ?? 'direct'} (from the ${s.network.proxySource === 'config' ? 'config' : "agent's environment"})`;
    const cas = s.network.caFiles.length ? `extra CAs: ${s.network.caFiles.map((c) => c.file).join(', ')}` : 'system CAs';
    out.push({ level: 'ok', name: 'network', detail: `${proxy}; ${cas}; TLS always verified` });
  }
  for (const e of s.configErrors ?? []) out.push({ level: 'fail', name: 'config (as the agent reads it)', detail: e, code: 'config_invalid' });
  return out;
}

/**
 * Each profile's provider, as the agent sees it (GET /v1/diagnostics: its own proxy and
 * CA settings, the discovery document, the clock skew). The CLI itself never loads an
 * HTTP stack for this.
 */
async function issuerChecks(client: AgentClient): Promise<Check[]> {
  let diag: DiagnosticsResponse;
  try {
    diag = await client.call<DiagnosticsResponse>('GET', '/v1/diagnostics');
  } catch (e) {
    return [failure('issuers', e, 'idp_unavailable')];
  }
  return diag.profiles.map((p): Check => {
    const name = `issuer of profile "${p.profile}"`;
    if (!p.reachable) return { level: 'fail', name, detail: p.error ?? `cannot reach ${p.issuer}`, code: 'idp_unavailable' };
    if (p.problem) return { level: 'fail', name, detail: p.problem, code: 'idp_error' };
    if (p.skewWarning) return { level: 'warn', name, detail: `${p.issuer} answers; ${p.skewWarning}` };
    return { level: 'ok', name, detail: `${p.issuer} answers, with the device flow${p.skewSeconds ? ` (clock skew ${p.skewSeconds}s)` : ''}` };
  });
}

function attempt(name: string, code: ErrorCode, check: () => string): Check {
  try {
    return { level: 'ok', name, detail: check() };
  } catch (e) {
    return failure(name, e, code);
  }
}

function failure(name: string, e: unknown, fallback: ErrorCode): Check {
  const err = e instanceof AuthctlError ? e : new AuthctlError(fallback, (e as Error)?.message ?? String(e));
  return { level: 'fail', name, detail: err.message.replace(/\n/g, ' '), code: err.code };
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  parseCommandArgs(DOCTOR_SPEC, argv);
  return run({}, io);
}
