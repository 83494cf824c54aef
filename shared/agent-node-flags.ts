/**
 * The Node flags the agent runs with, wherever it is started (autostart, the systemd unit,
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
