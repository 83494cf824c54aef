// Builds the native hot-path client (native/client/, C99) with the system C compiler, for
// scripts/build-native.mjs. The same rules as the addon: never downloads anything, never
// fails the install (one warning line; the Node CLI then answers every command).
//
// - Output: native/client/build/authctl, plus git-credential-authctl and
//   docker-credential-authctl links to it (argv[0] picks the command), so a checkout can put
//   native/client/build on PATH. The compiler's output goes to native/client/build/build.log.
// - In an installed package (npm's `install` step, no .git beside package.json), bin/authctl,
//   bin/git-credential-authctl and bin/docker-credential-authctl -- the files npm links onto
//   PATH -- become copies of the client, so those commands start no Node at all; when the
//   build fails they are (again) the small Node launchers. A checkout's tracked bin/ files
//   are never rewritten.
// - Windows: not built; the Node CLI answers as before.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const COMMANDS = ['authctl', 'git-credential-authctl', 'docker-credential-authctl'];
const SOURCES = ['main.c', 'agent.c', 'parse.c'];

/** The Node launcher bin/<name> holds when no native client stands in its place. */
export function nodeLauncher(name) {
  return (
    '#!/usr/bin/env node\n' +
    '// The command npm puts on PATH. After an install whose native client built, this file is that\n' +
    `// client (scripts/build-native-client.mjs); it hands everything it does not answer to ${name}.js.\n` +
    "'use strict';\n" +
    `require('./${name}.js');\n`
  );
}

/** A C string literal for -D (paths may hold spaces or quotes). */
function cString(s) {
  return `"${s.replace(/[\\"]/g, (c) => '\\' + c)}"`;
}

function writeExecutable(file, content) {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, content, { mode: 0o755 });
  fs.chmodSync(tmp, 0o755);
  fs.renameSync(tmp, file);
}

/** @returns {{ ok: true, binary: string } | { ok: false, reason: string, log?: string }} */
export function buildNativeClient(root, { verbose = false } = {}) {
  if (process.platform === 'win32') return { ok: false, reason: 'not used on Windows' };
  const srcDir = path.join(root, 'native', 'client');
  const buildDir = path.join(srcDir, 'build');
  const logFile = path.join(buildDir, 'build.log');
  const binary = path.join(buildDir, 'authctl');
  // Only npm's install of the package itself: `npm run build` and `npm pack` leave bin/ as it is.
  const installed = process.env.npm_lifecycle_event === 'install' && !fs.existsSync(path.join(root, '.git'));
  const restoreLaunchers = () => {
    if (!installed) return;
    for (const name of COMMANDS) writeExecutable(path.join(root, 'bin', name), nodeLauncher(name));
  };
  fs.rmSync(buildDir, { recursive: true, force: true });
  fs.mkdirSync(buildDir, { recursive: true });
  const cc = process.env.CC || 'cc';
  const args = [
    '-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', '-pedantic', '-D_POSIX_C_SOURCE=200809L',
    `-DAUTHCTL_ROOT=${cString(root)}`, `-DAUTHCTL_NODE_PATH=${cString(process.execPath)}`,
    '-o', binary, ...SOURCES.map((s) => path.join(srcDir, s)),
  ];
  const compile = (extra) => {
    const r = spawnSync(cc, [...extra, ...args], { encoding: 'utf8', timeout: 120_000, stdio: verbose ? 'inherit' : 'pipe' });
    fs.appendFileSync(logFile, `$ ${[cc, ...extra, ...args].join(' ')}\n${r.stdout ?? ''}${r.stderr ?? ''}`);
    return r;
  };
  // Linked statically where the C library allows it (Linux with libc.a): no dynamic loader at
  // each start, measured 0.15 ms of a 1.5 ms exec on a 2-core VM. Elsewhere (macOS, a distro
  // without a static libc) the same sources, linked dynamically.
  let r = process.platform === 'linux' ? compile(['-static']) : undefined;
  if (!r || r.error || r.status !== 0) r = compile([]);
  const fail = (reason) => {
    fs.rmSync(binary, { force: true });
    restoreLaunchers();
    return { ok: false, reason, log: logFile };
  };
  if (r.error) return fail(`${cc} could not run: ${r.error.code ?? r.error.message}`);
  if (r.status !== 0) return fail(`${cc} exited with ${r.status ?? r.signal}`);
  // One real answer before anything points at it: a pre-issued token, no agent asked.
  const probe = spawnSync(binary, ['token'], { encoding: 'utf8', timeout: 10_000, env: { PATH: process.env.PATH, AUTHCTL_TOKEN: 'probe' } });
  if (probe.stdout !== 'probe\n' || probe.status !== 0) return fail('the built client failed its self-test');
  for (const name of COMMANDS.slice(1)) fs.symlinkSync('authctl', path.join(buildDir, name));
  if (installed) for (const name of COMMANDS) writeExecutable(path.join(root, 'bin', name), fs.readFileSync(binary));
  return { ok: true, binary };
}
