/**
 * `authctl service install [--now] [--print] [--system-wide [--root DIR]]`, `uninstall`, `status`:
 * runs the agent as a user service (systemd user units with socket activation on Linux, a
 * LaunchAgent on macOS), with the absolute paths of this node and this authctl, so no shell
 * snippet is needed. `--print` shows what would be written and run, and changes nothing.
 */
import { parseCommandArgs, subcommandOf } from '../../cli/parse.js';
import { SERVICE_SPEC } from './spec.js';
import { AuthctlError, EXIT } from '../../../shared/errors.js';
import { processPathEnv } from '../../../shared/paths.js';
import type { CommandIO } from '../../io.js';
import type { PlannedFile } from './host.js';
import { currentExecutables, type Executables } from './render.js';

export type ManagerName = 'systemd' | 'launchd';

export interface ServiceOptions {
  action: 'install' | 'uninstall' | 'status';
  /** Start the service now, not only at the next login. */
  now: boolean;
  print: boolean;
  systemWide: boolean;
  /** With --system-wide: install into an image or chroot at this directory (packaging). */
  root?: string;
  /** Which service manager; defaults to this platform's. Another one only with --print. */
  manager?: ManagerName;
}

export interface ServiceContext {
  env: Record<string, string | undefined>;
  home: string;
  uid: number;
  systemWide: boolean;
  root: string;
  exe: Executables;
}

export interface ServiceReport {
  lines: string[];
  /** Done as far as possible, but the goal was not reached (reported after the lines). */
  failure?: AuthctlError;
}

export interface ServiceManager {
  readonly name: ManagerName;
  /** The files install writes (and uninstall removes). */
  files(ctx: ServiceContext): PlannedFile[];
  /** The commands install runs after writing them. */
  installCommands(ctx: ServiceContext, now: boolean): string[][];
  install(ctx: ServiceContext, now: boolean): ServiceReport;
  uninstall(ctx: ServiceContext): ServiceReport;
  status(ctx: ServiceContext): ServiceReport;
}


export async function run(opts: ServiceOptions, io: CommandIO, platform: NodeJS.Platform = process.platform): Promise<number> {
  const native = nativeManager(platform);
  const name = opts.manager ?? native;
  if (!name) throw noServiceManager(platform, io.env);
  if (name !== native && !(opts.action === 'install' && opts.print))
    throw new AuthctlError('usage', `--manager ${name} manages services on ${name === 'launchd' ? 'macOS' : 'Linux'} only; here it works with --print alone`);
  const manager = name === 'systemd' ? (await import('./systemd.js')).systemd : (await import('./launchd.js')).launchd;
  const ctx: ServiceContext = {
    env: io.env,
    home: processPathEnv(io.env).home,
    uid: process.getuid?.() ?? 0,
    systemWide: opts.systemWide,
    root: opts.root ?? '',
    exe: currentExecutables(),
  };
  if (opts.action === 'install' && opts.print) {
    io.stdout.write(renderPlan(manager.files(ctx), manager.installCommands(ctx, opts.now)));
    return EXIT.ok;
  }
  if (opts.action === 'install' && opts.systemWide) warnPrivatePaths(ctx, io);
  const report = opts.action === 'install' ? manager.install(ctx, opts.now) : opts.action === 'uninstall' ? manager.uninstall(ctx) : manager.status(ctx);
  (opts.action === 'status' ? io.stdout : io.stderr).write(report.lines.map((l) => l + '\n').join(''));
  if (report.failure) throw report.failure;
  return EXIT.ok;
}

/** What install would write and run, in the order it does it. */
export function renderPlan(files: PlannedFile[], commands: string[][]): string {
  const parts = files.map((f) => `==> ${f.path} (mode ${f.mode.toString(8)}) <==\n${f.content}`);
  parts.push(`==> then run <==\n${commands.map((c) => c.join(' ')).join('\n')}\n`);
  return parts.join('\n');
}

function nativeManager(platform: NodeJS.Platform): ManagerName | undefined {
  return platform === 'linux' ? 'systemd' : platform === 'darwin' ? 'launchd' : undefined;
}

function noServiceManager(platform: NodeJS.Platform, env: Record<string, string | undefined>): AuthctlError {
  const where = platform === 'win32' ? `on the named pipe \\\\.\\pipe\\authctl-${processPathEnv(env).username}` : 'on its socket';
  return new AuthctlError(
    'internal',
    `authctl has no service definition for ${platform}: the agent starts on demand ${where} when a command needs it;\n` +
      'to start it at login instead, run `authctl daemon` from your session startup (docs/admin.md)',
  );
}

/** A unit for every user that runs a node or authctl inside one user's home fails for all the others. */
function warnPrivatePaths(ctx: ServiceContext, io: CommandIO): void {
  for (const path of [ctx.exe.node, ctx.exe.authctl]) {
    if (path.startsWith(ctx.home + '/') || path.startsWith('/home/') || path.startsWith('/root/'))
      io.stderr.write(`warning: ${path} is inside a home directory; other users may not be able to run it: install node and authctl system-wide first\n`);
  }
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [action, ...rest] = argv;
  const spec = subcommandOf(SERVICE_SPEC, action);
  const { values } = parseCommandArgs(spec, rest) as unknown as { values: { now?: boolean; print?: boolean; 'system-wide': boolean; root?: string; manager?: string } };
  if (values.now && values['system-wide'])
    throw new AuthctlError('usage', '--now starts the service for you alone; with --system-wide it starts at each user\'s next login (or `systemctl --user start authctl.socket`)');
  if (values.root !== undefined && !values['system-wide']) throw new AuthctlError('usage', '--root goes with --system-wide (installing into an image or chroot)');
  if (values.root !== undefined && !values.root.startsWith('/')) throw new AuthctlError('usage', `--root must be an absolute path, not "${values.root}"`);
  if (values.manager !== undefined && values.manager !== 'systemd' && values.manager !== 'launchd')
    throw new AuthctlError('usage', `--manager must be "systemd" or "launchd", not "${values.manager}"`);
  return run(
    { action: action as ServiceOptions['action'], now: values.now ?? false, print: values.print ?? false, systemWide: values['system-wide'], root: values.root, manager: values.manager as ManagerName | undefined },
    io,
  );
}
