/**
 * The systemd side of `authctl service`: user units with socket activation, for one user
 * (~/.config/systemd/user, `systemctl --user`) or for every user (/etc/systemd/user,
 * `systemctl --global`). When the user's service manager cannot be reached (a container,
 * an ssh session without lingering) the units are still written and enabled (client-side,
 * as systemctl does offline) and the command says when they take effect.
 */
import { join } from 'node:path';
import { AuthctlError } from '../../../shared/errors.js';
import { processPathEnv, socketPath } from '../../../shared/paths.js';
import { describeFile, fileState, mustRun, removeOurFiles, runCommand, writeFiles, type PlannedFile } from './host.js';
import { renderSystemdUnits } from './render.js';
import type { ServiceContext, ServiceManager } from './service.js';

const SOCKET_UNIT = 'authctl.socket';
const SERVICE_UNIT = 'authctl.service';

export function unitDir(ctx: ServiceContext): string {
  if (ctx.systemWide) return join(ctx.root || '/', 'etc', 'systemd', 'user');
  return join(ctx.env.XDG_CONFIG_HOME || join(ctx.home, '.config'), 'systemd', 'user');
}

function systemctl(ctx: ServiceContext): string[] {
  return ctx.systemWide ? ['systemctl', '--global', ...(ctx.root ? [`--root=${ctx.root}`] : [])] : ['systemctl', '--user'];
}

/** `systemctl --user is-system-running` prints "offline" (and fails) when no user manager answers. */
function userManagerState(ctx: ServiceContext): string | undefined {
  const r = runCommand(['systemctl', '--user', 'is-system-running'], ctx.env);
  if (r.missing) throw noSystemd();
  return r.stdout && r.stdout !== 'offline' && r.stdout !== 'unknown' ? r.stdout : undefined;
}

function noSystemd(): AuthctlError {
  return new AuthctlError(
    'internal',
    'this machine has no systemd (systemctl is not installed), so there is no user service to install;\n' +
      'nothing is needed: authctl commands start the agent on demand (see docs/admin.md)',
  );
}

function unreachable(ctx: ServiceContext): string {
  const why = ctx.env.XDG_RUNTIME_DIR ? 'it does not answer' : 'XDG_RUNTIME_DIR is not set in this shell';
  return `your user service manager is not reachable from here (${why}; a container, \`su\`, or an ssh session without \`loginctl enable-linger\`)`;
}

export const systemd: ServiceManager = {
  name: 'systemd',

  files(ctx): PlannedFile[] {
    const { socket, service } = renderSystemdUnits(ctx.exe);
    const dir = unitDir(ctx);
    return [
      { path: join(dir, SOCKET_UNIT), content: socket, mode: 0o644 },
      { path: join(dir, SERVICE_UNIT), content: service, mode: 0o644 },
    ];
  },

  installCommands(ctx, now) {
    const sc = systemctl(ctx);
    if (ctx.systemWide) return [[...sc, 'enable', SOCKET_UNIT]];
    return [[...sc, 'daemon-reload'], [...sc, 'enable', ...(now ? ['--now'] : []), SOCKET_UNIT]];
  },

  install(ctx, now) {
    const running = ctx.systemWide ? undefined : userManagerState(ctx);
    if (ctx.systemWide && runCommand(['systemctl', '--version'], ctx.env).missing) throw noSystemd();
    const files = this.files(ctx);
    writeFiles(files);
    const lines = files.map((f) => `wrote ${f.path}`);
    if (ctx.systemWide) {
      mustRun(this.installCommands(ctx, false)[0]!, ctx.env);
      lines.push(`enabled ${SOCKET_UNIT} for every user: it starts at each user's next login (or now, with \`systemctl --user start ${SOCKET_UNIT}\`)`);
      return { lines };
    }
    if (running) {
      for (const argv of this.installCommands(ctx, now)) mustRun(argv, ctx.env);
      lines.push(now ? `enabled and started ${SOCKET_UNIT}: the agent starts on the first connection to ${serviceSocket(ctx)}` : `enabled ${SOCKET_UNIT}: it starts at your next login (or now: \`systemctl --user start ${SOCKET_UNIT}\`)`);
      return { lines: [...lines, ...socketMismatch(ctx)] };
    }
    // Offline: enabling only creates symlinks, which systemctl can do without the manager.
    mustRun([...systemctl(ctx), 'enable', SOCKET_UNIT], { ...ctx.env, SYSTEMCTL_INSTALL_CLIENT_SIDE: '1' });
    lines.push(`enabled ${SOCKET_UNIT}: it starts at your next login with systemd; until then authctl commands start the agent on demand`);
    if (!now) return { lines: [...lines, `note: ${unreachable(ctx)}`] };
    return { lines, failure: new AuthctlError('agent_unavailable', `installed, but not started: ${unreachable(ctx)}`) };
  },

  uninstall(ctx) {
    const dir = unitDir(ctx);
    const paths = [join(dir, SOCKET_UNIT), join(dir, SERVICE_UNIT)];
    const installed = paths.some((p) => fileState(p) === 'ours');
    const lines: string[] = [];
    if (installed) {
      const running = ctx.systemWide ? undefined : userManagerState(ctx);
      // Disable first: systemctl reads the [Install] sections of the files to undo enable.
      const disable = [...systemctl(ctx), 'disable', ...(running ? ['--now'] : []), SOCKET_UNIT, SERVICE_UNIT];
      mustRun(disable, running ? ctx.env : { ...ctx.env, SYSTEMCTL_INSTALL_CLIENT_SIDE: '1' });
      lines.push(`disabled ${running ? 'and stopped ' : ''}${SOCKET_UNIT} and ${SERVICE_UNIT}`);
      const { removed, kept } = removeOurFiles(paths);
      lines.push(...removed.map((p) => `removed ${p}`), ...kept.map((p) => `kept ${p}: authctl did not write it`));
      if (running) mustRun([...systemctl(ctx), 'daemon-reload'], ctx.env);
    } else {
      lines.push(`nothing to uninstall: no unit files written by authctl in ${dir}`);
      lines.push(...paths.filter((p) => fileState(p) === 'foreign').map((p) => `kept ${p}: authctl did not write it`));
    }
    return { lines };
  },

  status(ctx) {
    const lines = [`service manager: systemd (${ctx.systemWide ? 'units for every user' : 'user units'})`];
    for (const path of [join(unitDir(ctx), SOCKET_UNIT), join(unitDir(ctx), SERVICE_UNIT)]) {
      lines.push(describeFile(path));
    }
    const sc = systemctl(ctx);
    const enabled = runCommand([...sc, 'is-enabled', SOCKET_UNIT], { ...ctx.env, SYSTEMCTL_INSTALL_CLIENT_SIDE: '1' });
    if (enabled.missing) throw noSystemd();
    lines.push(`${SOCKET_UNIT}: ${enabled.stdout || 'not enabled'}`);
    if (ctx.systemWide) return { lines };
    if (!userManagerState(ctx)) {
      lines.push(`running: unknown: ${unreachable(ctx)}`);
    } else {
      for (const unit of [SOCKET_UNIT, SERVICE_UNIT]) lines.push(`${unit}: ${runCommand([...sc, 'is-active', unit], ctx.env).stdout || 'unknown'}`);
    }
    lines.push(`socket: ${serviceSocket(ctx)}`, ...socketMismatch(ctx));
    return { lines };
  },
};

/** Where the socket unit listens: %t/authctl/agent.sock, %t being XDG_RUNTIME_DIR. */
function serviceSocket(ctx: ServiceContext): string {
  const pe = processPathEnv({ ...ctx.env, AUTHCTL_SOCK: undefined });
  return pe.env.XDG_RUNTIME_DIR ? socketPath(pe) : '$XDG_RUNTIME_DIR/authctl/agent.sock';
}

/** AUTHCTL_SOCK set elsewhere makes this shell's commands miss the service (and start their own agent). */
function socketMismatch(ctx: ServiceContext): string[] {
  const used = ctx.env.AUTHCTL_SOCK;
  return used && used !== serviceSocket(ctx) ? [`note: AUTHCTL_SOCK=${used} here, so commands in this shell do not use the service's socket; unset it`] : [];
}
