/**
 * `authctl docker-credential get|store|erase|list|version` (also `docker-credential-authctl`):
 * the docker credential helper protocol (docker/docker-credential-helpers). `get` reads the
 * server URL on stdin (no newline) and prints `{"ServerURL","Username","Secret"}`; a registry
 * no profile lists gets exactly `credentials not found in native keychain` on stdout and
 * exit 1, which docker treats as "no credentials". Other errors also go to stdout, because
 * docker shows the helper's stdout and discards its stderr.
 */
import type { TokenResponse } from '../../../shared/api.js';
import type { EffectiveConfig } from '../../../shared/config.js';
import { DEFAULT_REGISTRY_USERNAME, insecureTransport, profileForRegistry, registryHost } from '../../../shared/registry.js';
import { AuthctlError, EXIT, exitCodeFor } from '../../../shared/errors.js';
import type { CommandIO } from '../../io.js';
import { readEffectiveConfigPlain } from '../../lib/config-file.js';
import { terminalSafe } from '../../../shared/terminal-text.js';

export const NOT_FOUND = 'credentials not found in native keychain';
// The resolution lives in shared/ because the agent resolves `registry` requests (the native client) alike.
export { DEFAULT_REGISTRY_USERNAME, insecureTransport, profileForRegistry, registryHost };

export async function run(operation: string, io: CommandIO): Promise<number> {
  switch (operation) {
    case 'get':
      return get(await readAll(io), io);
    case 'list':
      io.stdout.write(JSON.stringify(listRegistries(readEffectiveConfigPlain(io.env))) + '\n');
      return EXIT.ok;
    case 'store':
    case 'erase':
      return dropCache(operation, await readAll(io), io);
    case 'version': {
      const { VERSION } = await import('../../../daemon/version.js');
      io.stdout.write(`docker-credential-authctl (authctl) ${VERSION}\n`);
      return EXIT.ok;
    }
    default:
      io.stdout.write(`unknown credential action \`${terminalSafe(operation)}\`\n`);
      return EXIT.usage;
  }
}

async function get(serverUrl: string, io: CommandIO): Promise<number> {
  const cfg = readEffectiveConfigPlain(io.env);
  const profile = profileForRegistry(cfg, serverUrl);
  const insecure = profile ? insecureTransport(serverUrl) : undefined;
  if (insecure) io.stderr.write(`authctl: not sending a token to ${terminalSafe(insecure)}: use https (plain http is allowed only for loopback registries)\n`);
  if (!profile || insecure) {
    io.stdout.write(NOT_FOUND + '\n');
    return 1;
  }
  let token: TokenResponse;
  try {
    token = io.env.AUTHCTL_TOKEN
      ? { accessToken: io.env.AUTHCTL_TOKEN, tokenType: 'Bearer', expiresAt: 0, scopes: [], profile: profile.name }
      : await io.agent().call<TokenResponse>('POST', '/v1/token', { profile: profile.name });
  } catch (e) {
    if (!(e instanceof AuthctlError)) throw e;
    io.stdout.write(terminalSafe(e.message) + '\n');
    return exitCodeFor(e.code);
  }
  io.stdout.write(JSON.stringify({ ServerURL: serverUrl, Username: profile.registryUsername ?? DEFAULT_REGISTRY_USERNAME, Secret: token.accessToken }) + '\n');
  return EXIT.ok;
}

/** docker's `store` after `docker login`, and `erase` on `docker logout`: nothing to keep; drop the cached token. */
async function dropCache(operation: 'store' | 'erase', input: string, io: CommandIO): Promise<number> {
  let serverUrl = input;
  if (operation === 'store') {
    try {
      serverUrl = String((JSON.parse(input) as { ServerURL?: unknown }).ServerURL ?? '');
    } catch {
      io.stdout.write('the credentials to store are not JSON\n');
      return EXIT.usage;
    }
  }
  const profile = profileForRegistry(readEffectiveConfigPlain(io.env), serverUrl);
  if (!profile || io.env.AUTHCTL_TOKEN) return EXIT.ok;
  try {
    await io.agent().call('POST', '/v1/invalidate', { profile: profile.name });
  } catch (e) {
    if (!(e instanceof AuthctlError) || e.code !== 'agent_unavailable') throw e;
  }
  return EXIT.ok;
}

/** `list`: every configured registry once (the first profile listing it answers for it), with its username. */
export function listRegistries(cfg: EffectiveConfig): Record<string, string> {
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  for (const p of cfg.profiles.values()) {
    for (const r of p.registries ?? []) {
      const host = registryHost(r);
      if (!host || seen.has(host)) continue;
      seen.add(host);
      out[r] = p.registryUsername ?? DEFAULT_REGISTRY_USERNAME;
    }
  }
  return out;
}

async function readAll(io: CommandIO): Promise<string> {
  let text = '';
  for await (const chunk of io.stdin) text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
  return text.trim();
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const operation = argv[0];
  if (!operation || argv.length > 1 || operation.startsWith('-')) {
    io.stderr.write('usage: authctl docker-credential get|store|erase|list|version\n(docker runs this as docker-credential-authctl; add "credHelpers": {"REGISTRY": "authctl"} to ~/.docker/config.json)\n');
    return EXIT.usage;
  }
  try {
    return await run(operation, io);
  } catch (e) {
    // docker shows the helper's stdout, never its stderr.
    io.stdout.write(`${terminalSafe((e as Error).message)}\n`);
    return e instanceof AuthctlError ? exitCodeFor(e.code) : EXIT.unexpected;
  }
}
