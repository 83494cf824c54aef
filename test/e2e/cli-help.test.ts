/**
 * Help, mistakes and colour through the built CLI (bin/authctl.js → dist/): what a person
 * sees for `--help`, a typo, a bad flag value, and on a terminal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allSpecs } from '../../client/command-table.js';
import { renderHelp } from '../../client/cli/help.js';
import { makeTestHome, type TestHome } from '../fixtures/agent-home.js';
import { runCli } from '../fixtures/cli.js';
import { runOnTerminal } from '../fixtures/terminal.js';

let home: TestHome;
beforeAll(() => {
  home = makeTestHome();
});
afterAll(() => home?.cleanup());

const ESC = '\x1b[';

describe('help', () => {
  it('bare authctl prints the commands grouped by purpose on stdout, exit 0', async () => {
    const r = await runCli([], home.env);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    for (const group of ['SIGN IN', 'TOKENS', 'PROFILES AND SETUP', 'TOOL INTEGRATIONS', 'AGENT']) expect(r.stdout).toContain(`\n${group}\n`);
    expect(r.stdout).toMatch(/^ {2}token +Print a valid access token/m);
    expect(r.stdout).not.toContain('__complete');
    expect((await runCli(['--help'], home.env)).stdout).toBe(r.stdout);
    expect((await runCli(['help'], home.env)).stdout).toBe(r.stdout);
  });

  it('every command and subcommand answers --help and `authctl help ...` on stdout, exit 0, from the table', async () => {
    for (const spec of allSpecs().filter((s) => !s.hidden)) {
      const words = spec.name.split(' ');
      const expected = renderHelp(spec);
      const flag = await runCli([...words, '--help'], home.env);
      expect(flag, spec.name).toMatchObject({ code: 0, stdout: expected, stderr: '' });
      const viaHelp = await runCli(['help', ...words], home.env);
      expect(viaHelp, spec.name).toMatchObject({ code: 0, stdout: expected });
    }
  });

  it('help shows usage, flags with defaults, examples, exit codes and related commands', async () => {
    const r = await runCli(['env', '-h'], home.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^USAGE\n {2}authctl env \[--profile P\]/m);
    expect(r.stdout).toMatch(/--format FORMAT +the output format \(one of sh, fish, json; default sh\)/);
    expect(r.stdout).toMatch(/^EXAMPLES\n {2}# in sh, bash or zsh\n {2}\$ eval "\$\(authctl env\)"/m);
    expect(r.stdout).toMatch(/^EXIT CODES\n {2}0 +ok\n {2}2 +usage error/m);
    expect(r.stdout).toMatch(/^SEE ALSO\n {2}authctl exec\n/m);
  });

  it('token --help is answered without an agent, and a flag after the command of exec is the command\'s', async () => {
    const r = await runCli(['token', '--profile', 'nope', '--help'], { ...home.env, AUTHCTL_SOCK: '/nonexistent/agent.sock' });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^Print a valid access token/);
    const exec = await runCli(['exec', '--', 'sh', '-c', 'echo ran', '--help'], { ...home.env, AUTHCTL_TOKEN: 'pat-1' });
    expect(exec).toMatchObject({ code: 0, stdout: 'ran\n' });
  });
});

describe('mistakes', () => {
  const usage = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('usage: '));

  it.each([
    [['tokne'], /^authctl: unknown command "tokne": did you mean "token"\?\nusage: authctl token \[--profile P\]/],
    [['stauts', '--json'], /did you mean "status"\?\nusage: authctl status \[--json\]/],
    [['profile', 'ad', 'work'], /unknown profile command "ad": did you mean "add"\?\nusage: authctl profile add NAME --issuer URL/],
    [['service', 'instal'], /did you mean "install"\?\nusage: authctl service install/],
    [['token', '--profle', 'work'], /unknown flag --profle for authctl token: did you mean "--profile"\?\nusage: authctl token /],
    [['login', '--no-brwoser'], /did you mean "--no-browser"\?\nusage: authctl login /],
    [['login', '--issuer', 'foo'], /--issuer "foo" is not a URL \(e\.g\. --issuer https:\/\/idp\.example\.com\)\nusage: authctl login /],
    [['token', '--min-valid', '-5'], /--min-valid "-5" is not a whole number of seconds \(e\.g\. --min-valid 300\)/],
    [['token', '--min-valid'], /--min-valid needs a value \(e\.g\. --min-valid 300\)/],
    [['env', '--format', 'fsh'], /--format "fsh" is not one of sh, fish, json; did you mean "fish"\? \(e\.g\. --format sh\)/],
    [['profile', 'add', 'w', '--provider', 'octa', '--client-id', 'x'], /--provider "octa" is not one of auth0, .*; did you mean "okta"\?/],
    [['completion', 'zhs'], /no completion for "zhs": authctl has bash, zsh and fish \(did you mean "zsh"\?\)/],
    [['help', 'tokne'], /did you mean "token"\?/],
  ])('%j: a suggestion and the one usage line, exit 2', async (argv, message) => {
    const r = await runCli(argv, home.env);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(usage(r.stderr).length, r.stderr).toBe(1);
    expect(r.stderr.split('\n').length).toBeLessThanOrEqual(4);
    expect(r.stderr).not.toMatch(/Option '|ERR_PARSE_ARGS|config\.json/);
    expect(r.stdout).toBe('');
  });

  it('an unknown config key names the file and the closest key', async () => {
    const h = makeTestHome();
    try {
      h.writeConfig({ profiles: { work: { issuer: 'https://idp.example.com', clientID: 'x' } } } as never);
      const r = await runCli(['profile', 'list'], h.env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/config\/authctl\/config\.json: profiles\.work: unknown setting "clientID" \(did you mean "clientId"\?\)/);
    } finally {
      h.cleanup();
    }
  });
});

describe('colour', () => {
  // doctor with no agent: the socket directory line is ✓ or X, the agent line is X (exit 6).
  it('marks ok / warning / failure lines with ✓ ! X, coloured only when wanted', async () => {
    const plain = await runCli(['doctor'], home.env);
    expect(plain.code).toBe(6);
    expect(plain.stdout).toMatch(/^X agent: /m);
    expect(plain.stdout).toMatch(/^! issuers: not checked/m);
    expect(plain.stdout + plain.stderr).not.toContain(ESC);
    const forced = await runCli(['doctor'], { ...home.env, CLICOLOR_FORCE: '1' });
    expect(forced.stdout).toMatch(/^\x1b\[31mX\x1b\[0m agent: /m);
    expect(forced.stdout).toMatch(/^\x1b\[33m!\x1b\[0m issuers: /m);
    const refused = await runCli(['doctor'], { ...home.env, CLICOLOR_FORCE: '1', NO_COLOR: '1' });
    expect(refused.stdout).toBe(plain.stdout);
  });

  it('the error reporter marks the reason with a red X on a terminal only', async () => {
    expect((await runCli(['tokne'], home.env)).stderr).toMatch(/^authctl: unknown command/);
    expect((await runCli(['tokne'], { ...home.env, CLICOLOR_FORCE: '1' })).stderr).toMatch(/^\x1b\[31mX\x1b\[0m authctl: unknown command "tokne"/);
  });

  it('a real terminal gets colour, and NO_COLOR takes it away', async () => {
    const tty = runOnTerminal(['doctor'], { ...home.env, TERM: 'xterm' });
    await tty.waitFor(/agent: /);
    expect(await tty.exit).toBe(6);
    expect(tty.output()).toContain('\x1b[31mX\x1b[0m agent: ');
    const noColour = runOnTerminal(['doctor'], { ...home.env, TERM: 'xterm', NO_COLOR: '1' });
    expect(await noColour.exit).toBe(6);
    expect(noColour.output()).toMatch(/X agent: /);
    expect(noColour.output()).not.toContain(ESC);
  });
});
