/**
 * The launchd side of `authctl service` (macOS): a LaunchAgent in ~/Library/LaunchAgents,
 * loaded into the user's GUI domain with `launchctl bootstrap`. The agent binds its own
 * socket (launchd socket activation would need the launch_activate_socket API, which Node
 * cannot call). Written and untested on a Mac: CI here has none; see docs/admin.md.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { AuthctlError } from '../../../shared/errors.js';
import { logDir } from '../../../shared/paths.js';
import { describeFile, fileState, mustRun, removeOurFiles, runCommand, writeFiles, type CommandResult, type PlannedFile } from './host.js';
import { LAUNCHD_LABEL, renderLaunchdPlist } from './render.js';
import type { ServiceContext, ServiceManager } from './service.js';

function plistPath(ctx: ServiceContext): string {
  return join(ctx.home, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
}

function agentLogDir(ctx: ServiceContext): string {
  return logDir({ platform: 'darwin', env: ctx.env, home: ctx.home, username: '' });
}

const domain = (ctx: ServiceContext) => `gui/${ctx.uid}`;
const target = (ctx: ServiceContext) => `${domain(ctx)}/${LAUNCHD_LABEL}`;

/** `launchctl print` of our job: it fails when the job is not loaded. */
function printJob(ctx: ServiceContext): CommandResult {
  const r = runCommand(['launchctl', 'print', target(ctx)], ctx.env);
  if (r.missing) throw new AuthctlError('internal', 'launchctl is not installed here, so there is no LaunchAgent to manage');
  return r;
}

export const launchd: ServiceManager = {
  name: 'launchd',

  files(ctx): PlannedFile[] {
    if (ctx.systemWide) {
      throw new AuthctlError(
        'usage',
        '--system-wide is not supported for launchd: a LaunchAgent in /Library/LaunchAgents cannot name each user\'s log directory;\n' +
          'run `authctl service install` as each user (a login script or MDM), see docs/admin.md',
      );
    }
    return [{ path: plistPath(ctx), content: renderLaunchdPlist(ctx.exe, agentLogDir(ctx)), mode: 0o644 }];
  },

  installCommands(ctx, now) {
    // bootout first so a reinstall loads the new plist (its failure when nothing is loaded is fine).
    return [['launchctl', 'enable', target(ctx)], ...(now ? [['launchctl', 'bootout', target(ctx)], ['launchctl', 'bootstrap', domain(ctx), plistPath(ctx)]] : [])];
  },

  install(ctx, now) {
    const files = this.files(ctx);
    writeFiles(files);
    // launchd opens launchd.log before the agent runs: the directory must exist, and both be private.
    const dir = agentLogDir(ctx);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    closeSync(openSync(join(dir, 'launchd.log'), 'a', 0o600));
    const lines = files.map((f) => `wrote ${f.path}`);
    mustRun(['launchctl', 'enable', target(ctx)], ctx.env);
    if (!now) return { lines: [...lines, `enabled ${LAUNCHD_LABEL}: it starts at your next login (or now: \`authctl service install --now\`)`] };
    if (printJob(ctx).ok) mustRun(['launchctl', 'bootout', target(ctx)], ctx.env);
    mustRun(['launchctl', 'bootstrap', domain(ctx), plistPath(ctx)], ctx.env);
    return { lines: [...lines, `loaded and started ${LAUNCHD_LABEL}`] };
  },

  uninstall(ctx) {
    const path = plistPath(ctx);
    const state = fileState(path);
    if (state !== 'ours') return { lines: [state === 'absent' ? `nothing to uninstall: ${path} does not exist` : `kept ${path}: authctl did not write it`] };
    const lines: string[] = [];
    if (printJob(ctx).ok) {
      mustRun(['launchctl', 'bootout', target(ctx)], ctx.env);
      lines.push(`stopped and unloaded ${LAUNCHD_LABEL}`);
    }
    lines.push(...removeOurFiles([path]).removed.map((p) => `removed ${p}`), `kept the logs in ${agentLogDir(ctx)}`);
    return { lines };
  },

  status(ctx) {
    const path = plistPath(ctx);
    const lines = ['service manager: launchd (LaunchAgent)'];
    lines.push(describeFile(path));
    const r = printJob(ctx);
    const state = /^\s*state = (.+)$/m.exec(r.stdout)?.[1];
    const pid = /^\s*pid = (\d+)$/m.exec(r.stdout)?.[1];
    lines.push(`${LAUNCHD_LABEL}: ${r.ok ? `loaded${state ? `, ${state}` : ''}${pid ? ` (pid ${pid})` : ''}` : 'not loaded'}`);
    lines.push(`logs: ${agentLogDir(ctx)}`);
    return { lines };
  },
};
