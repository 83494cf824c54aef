#!/usr/bin/env node
// Builds the native parts (the package's `install` script and part of `npm run build`):
// first the hot-path client in native/client/ with the C compiler (build-native-client.mjs),
// then the N-API addon in native/ with node-gyp.
//
// - Never downloads anything: node-gyp is only run with --nodedir pointing at local Node
//   headers (npm's `nodedir` config, else the headers installed next to this node binary).
//   Without local headers the build is skipped.
// - Never fails the install: on any failure it prints one warning line and exits 0; the
//   agent then runs without the peer-credential check. `--strict` exits 1 instead (CI).
// - node-gyp's output goes to native/build/build-native.log (`--verbose`: to the terminal).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNativeClient } from './build-native-client.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = path.join(root, 'native');
const buildDir = path.join(nativeDir, 'build');
const logFile = path.join(buildDir, 'build-native.log');
const addon = path.join(buildDir, 'Release', 'authctl_native.node');
const strict = process.argv.includes('--strict');
const verbose = process.argv.includes('--verbose');
const isWindows = process.platform === 'win32';
let logWritten = false;

// The client first: the addon's failures below end this process.
const client = buildNativeClient(root, { verbose });
if (client.ok) console.log(`authctl: built ${path.relative(root, client.binary)}`);
else if (process.platform !== 'win32') {
  const log = client.log ? ` [log: ${path.relative(process.cwd(), client.log) || client.log}]` : '';
  console.warn(`authctl: native client not built (${client.reason}); every command starts Node.js${log}`);
  if (strict) process.exit(1);
}
const nodePrefix = isWindows ? path.dirname(process.execPath) : path.dirname(path.dirname(process.execPath));

function warn(reason) {
  const rel = path.relative(process.cwd(), logFile) || logFile;
  console.warn(
    `authctl: native addon not built (${reason}); the agent will run without the peer-credential check` +
      (logWritten ? ` [log: ${rel}]` : ''),
  );
  process.exit(strict ? 1 : 0);
}

const isFile = (p) => {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
};

/** First executable called `name` on PATH (with PATHEXT on Windows), or null. */
function onPath(name) {
  const exts = isWindows ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const ext of exts) {
      if (isFile(path.join(dir, name + ext))) return path.join(dir, name + ext);
    }
  }
  return null;
}

/** npm's own CLI script: npm sets npm_execpath for scripts; else follow `npm` on PATH. */
function npmCli() {
  const candidates = [
    process.env.npm_execpath,
    path.join(nodePrefix, 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
    path.join(nodePrefix, 'node_modules', 'npm', 'bin', 'npm-cli.js'),
  ];
  const npm = onPath('npm');
  if (npm && !isWindows) candidates.push(fs.realpathSync(npm));
  return candidates.find((p) => p && p.endsWith('.js') && isFile(p)) ?? null;
}

/** How to run node-gyp: [command, ...args], or null. */
function findNodeGyp() {
  const fromEnv = process.env.npm_config_node_gyp;
  if (fromEnv && isFile(fromEnv)) return [process.execPath, fromEnv];
  const cli = npmCli();
  const bundled = [
    cli && path.join(path.dirname(path.dirname(cli)), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.join(nodePrefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.join(nodePrefix, 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ].find((p) => p && isFile(p));
  if (bundled) return [process.execPath, bundled];
  const global = onPath('node-gyp');
  return global ? [global] : null;
}

/** Local Node headers: npm's `nodedir`, else <prefix>/include/node next to this node. */
function findNodeDir() {
  let dir = process.env.npm_config_nodedir;
  if (!dir) {
    const cli = npmCli();
    const r = cli
      ? spawnSync(process.execPath, [cli, 'config', 'get', 'nodedir'], { encoding: 'utf8', timeout: 30_000 })
      : spawnSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8', timeout: 30_000, shell: isWindows });
    const value = r.status === 0 ? r.stdout.trim() : '';
    if (value && value !== 'undefined' && value !== 'null') dir = value;
  }
  if (dir) return path.resolve(dir);
  if (isFile(path.join(nodePrefix, 'include', 'node', 'node_api.h'))) return nodePrefix;
  return null;
}

const nodeGyp = findNodeGyp();
if (!nodeGyp) warn('node-gyp not found');
const nodeDir = findNodeDir();
if (!nodeDir) warn('no local Node headers: set `npm config set nodedir <dir>`');
// An installed layout (<dir>/include/node) or a Node source tree (<dir>/src).
if (!['include/node/node_api.h', 'src/node_api.h'].some((h) => isFile(path.join(nodeDir, h)))) {
  warn(`no Node headers in nodedir ${nodeDir}`);
}

// `rebuild` cleans first, so a failed build never leaves an old binary behind.
const [command, ...prefixArgs] = nodeGyp;
const args = [...prefixArgs, 'rebuild', `--directory=${nativeDir}`, `--nodedir=${nodeDir}`];
const result = spawnSync(command, args, {
  cwd: nativeDir,
  encoding: 'utf8',
  stdio: verbose ? 'inherit' : 'pipe',
  timeout: 300_000,
  shell: isWindows && !command.endsWith('.exe'),
});
if (!verbose) {
  fs.mkdirSync(buildDir, { recursive: true });
  fs.writeFileSync(logFile, `$ ${[command, ...args].join(' ')}\n${result.stdout ?? ''}${result.stderr ?? ''}`);
  logWritten = true;
}
if (result.error) warn(`node-gyp could not run: ${result.error.message}`);
if (result.status !== 0) {
  const lines = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.split('\n');
  const firstError = lines.find((l) => /\berror\b/i.test(l) && !/^gyp (ERR|info)/.test(l)) ?? lines.find((l) => /^gyp ERR!/.test(l));
  warn(`node-gyp exited with ${result.status ?? result.signal}${firstError ? `: ${firstError.trim()}` : ''}`);
}
if (!isFile(addon)) warn(`${path.relative(root, addon)} missing after the build`);
console.log(`authctl: built ${path.relative(root, addon)}`);
