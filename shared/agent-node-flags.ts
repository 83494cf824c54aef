/**
 * The Node flags (and the environment) the agent runs with, wherever it is started (autostart, the systemd unit,
 * the launchd job). V8 reads heap sizes once, at start, so they cannot be set from inside.
 *
 * `--max-semi-space-size=1` (MiB): the young generation stays small. A cached answer makes
 * little garbage, and V8's default lets it grow to 16 MiB per semi-space before a scavenge,
 * resident memory the idle agent never gives back. Measured with the bench's load (login,
 * a refresh, ~4000 answers): 93 → 80 MiB resident at the end, keep-alive median unchanged
 * within noise. `--optimize-for-size` was measured too and brought nothing more.
 * Only heap flags belong here: the agent refuses inspector and preload flags (instrumentation.ts).
 */
export const AGENT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

/**
 * The environment the agent gets on top of the one it inherits (autostart; the systemd
 * unit says the same in an Environment= line). MALLOC_ARENA_MAX=2: glibc keeps fewer malloc
 * arenas, so the native memory of a burst (500 connections at token expiry) goes back
 * sooner. Measured like the flag above: 80-81 -> 75-76 MiB at the end, 65 -> 61-64 MiB at
 * start, latency unchanged within noise. Other C libraries ignore it.
 */
export const AGENT_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
