/**
 * `npm run demo`, the README's first command: the whole job on an embedded default.
 *
 * It starts the bundled test IdP on loopback and an agent in a throw-away home, adds a
 * profile, logs in with the device flow, prints a token (and its decoded claims) and the
 * status, and cleans up: the agent, the IdP and the home, also on Ctrl-C and on errors.
 *
 * A person approves the login in a browser at the printed URL. When stdin is not a terminal,
 * or with --auto-approve, the demo approves it itself through the IdP's own pages (the same
 * HTML forms a browser gets) and says so, so it also completes unattended.
 *
 * Every step runs the real `authctl` CLI (bin/authctl.js) as a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AgentClient } from '../client/agent-client.js';
import { makeTestHome, type TestHome } from '../test/fixtures/agent-home.js';
import { startTestIdp, type TestIdp } from '../test/fixtures/idp.js';

const CLI = fileURLToPath(new URL('../../bin/authctl.js', import.meta.url));
const PROFILE = 'demo';
const SCOPES = 'openid offline_access api:read';
const STEPS = 6;

const USAGE = `Usage: npm run demo [-- --auto-approve]

Starts a test identity provider and an authctl agent in a throw-away home, logs in with
the device flow, prints a token and the status, and removes everything again.

  --auto-approve   approve the login through the IdP's pages instead of waiting for you
                   (the default when stdin is not a terminal)
`;

// ---------------------------------------------------------------------------------------------
// Output

function out(text = ''): void {
  process.stdout.write(text + '\n');
}

let step = 0;
function section(title: string): void {
  step += 1;
  out();
  out(`== ${step}/${STEPS}  ${title} ${'='.repeat(Math.max(3, 66 - title.length))}`);
}
const shellWord = (w: string) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);
const showCommand = (args: string[]) => out(`$ authctl ${args.map(shellWord).join(' ')}`);

// ---------------------------------------------------------------------------------------------
// What the demo started, undone in reverse order exactly once (normal end, error or signal).

interface Started {
  idp?: TestIdp;
  home?: TestHome;
  agent?: ChildProcess;
  children: Set<ChildProcess>;
  stdin?: Interface;
}

const started: Started = { children: new Set() };
let cleaning: Promise<void> | undefined;
/** Set by Ctrl-C (or another stop signal): the steps that fail because of it stay quiet. */
let interrupted: NodeJS.Signals | undefined;

function cleanUp(): Promise<void> {
  return (cleaning ??= (async () => {
    started.stdin?.close();
    for (const child of started.children) child.kill('SIGTERM');
    if (started.agent) await stopChild(started.agent);
    if (started.idp) await started.idp.close().catch(() => undefined);
    if (started.home) started.home.cleanup();
  })());
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 7_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

// ---------------------------------------------------------------------------------------------
// Running the CLI

interface Run {
  code: number | null;
  stdout: string;
}

/** Runs `authctl ARGS`; stderr (the human lines) goes straight to the user, stdout is returned. */
function authctl(args: string[], opts: { showStdout?: boolean } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: started.home!.env, stdio: ['ignore', opts.showStdout ? 'inherit' : 'pipe', 'inherit'] });
    started.children.add(child);
    let stdout = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.once('error', reject);
    child.once('close', (code) => {
      started.children.delete(child);
      resolve({ code, stdout });
    });
  });
}

async function authctlOrFail(args: string[], opts: { showStdout?: boolean } = {}): Promise<string> {
  const r = await authctl(args, opts);
  if (r.code !== 0) throw new Error(`\`authctl ${args.join(' ')}\` exited with ${r.code}`);
  return r.stdout;
}

// ---------------------------------------------------------------------------------------------
// The steps

async function startIdp(): Promise<TestIdp> {
  section('Start the bundled test identity provider');
  const idp = await startTestIdp();
  started.idp = idp;
  out(`An OpenID provider (oidc-provider, device flow enabled) listens on ${idp.issuer}`);
  out(`Its client id is "${idp.clientId}"; any user name signs in (password: anything).`);
  return idp;
}

async function startAgent(): Promise<TestHome> {
  section('Start an agent in a throw-away home');
  const home = makeTestHome();
  started.home = home;
  out(`Throw-away home: ${home.dir}`);
  // The demo keeps secrets out of your real keychain: a 0600 file inside the throw-away home.
  home.writeConfig({ storage: 'file' });
  out('Storage: a 0600 file inside that home, to keep the demo simple and leave nothing behind');
  out('         (a real install keeps refresh tokens in the OS keychain).');
  showCommand(['daemon', '--foreground', '--log', 'file']);
  const agent = spawn(process.execPath, [CLI, 'daemon', '--foreground', '--log', 'file'], { env: home.env, stdio: ['ignore', 'ignore', 'pipe'] });
  started.agent = agent;
  let stderr = '';
  agent.stderr!.on('data', (d) => (stderr += d));
  const client = new AgentClient({ socketPath: home.socket, autostart: false });
  const deadline = Date.now() + 15_000;
  while (!(await client.reachable())) {
    if (exited(agent)) throw new Error(`the agent exited before answering: ${stderr.trim()}`);
    if (Date.now() > deadline) throw new Error(`the agent did not answer on ${home.socket} within 15 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  out(`The agent (pid ${agent.pid}) answers on ${home.socket}`);
  return home;
}

async function addProfile(idp: TestIdp): Promise<void> {
  section('Add a profile');
  const args = ['profile', 'add', PROFILE, '--issuer', idp.issuer, '--client-id', idp.clientId, '--scope', SCOPES];
  showCommand(args);
  await authctlOrFail(args);
}

async function logIn(idp: TestIdp, autoApprove: boolean): Promise<void> {
  section('Log in with the device flow');
  // --json: the demo reads the user code from the event stream on stdout; authctl still
  // prints the code and the URL for people on stderr, which goes straight to you.
  const args = ['login', '--profile', PROFILE, '--no-browser', '--json'];
  showCommand(args);
  if (autoApprove) {
    const why = process.stdin.isTTY ? '--auto-approve was given' : 'stdin is not a terminal';
    out(`(${why}: the demo approves the login itself, through the IdP's own pages, as "alice")`);
  } else {
    out('Open the URL that follows in a browser on this machine, sign in with any name (e.g. alice)');
    out('and any password, and confirm. Or press Enter here to let the demo approve it for you.');
  }

  // Its stderr (the lines for people) comes through the demo, line by line, so the demo's own
  // lines follow the ones they answer (the code is shown before the demo says it enters it),
  // and a warning authctl repeats (the file storage, said when the code comes and at the end)
  // is shown once: the demo explained the storage already.
  const child = spawn(process.execPath, [CLI, ...args], { env: started.home!.env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.children.add(child);
  let shown = '';
  const done = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      started.children.delete(child);
      resolve(code);
    });
  });

  let userCode: string | undefined;
  let wanted = autoApprove;
  let approval: Promise<void> | undefined;
  let approvalError: Error | undefined;
  const approveWhenReady = () => {
    if (!wanted || !userCode || approval || !shown.includes(userCode)) return;
    out(`The demo enters the code ${userCode} at ${idp.issuer}/device, signs in as alice and confirms...`);
    approval = idp.approveDevice(userCode).then(
      () => out('Approved at the IdP.'),
      (e: Error) => {
        approvalError = e;
        // Unattended, nobody else will approve: stop waiting for the code to expire.
        if (autoApprove) child.kill('SIGTERM');
        else out(`The demo could not approve it (${e.message.split('\n')[0]}); approve it in the browser instead.`);
      },
    );
  };

  const warned = new Set<string>();
  let settle: NodeJS.Timeout | undefined;
  const forwarded = (async () => {
    for await (const line of createInterface({ input: child.stderr! })) {
      if (line.startsWith('WARNING: ')) {
        if (warned.has(line)) continue;
        warned.add(line);
      }
      process.stderr.write(line + '\n');
      shown += line + '\n';
      // The code and its URLs come as one block: the demo speaks once the block is complete.
      clearTimeout(settle);
      settle = setTimeout(approveWhenReady, 100);
    }
  })();

  if (!autoApprove) {
    started.stdin = createInterface({ input: process.stdin });
    started.stdin.once('line', () => {
      wanted = true;
      approveWhenReady();
    });
  }

  let subject: string | undefined;
  let failure: string | undefined;
  for await (const line of createInterface({ input: child.stdout! })) {
    if (!line.trim()) continue;
    const ev = JSON.parse(line) as { event: string; userCode?: string; subject?: string; message?: string };
    if (ev.event === 'verification') {
      userCode = ev.userCode;
    } else if (ev.event === 'success') {
      subject = ev.subject;
    } else if (ev.event === 'error') {
      failure = ev.message;
    }
  }
  const code = await done;
  await forwarded;
  started.stdin?.close();
  started.stdin = undefined;
  await approval;
  if (approvalError && autoApprove) throw new Error(`the demo could not approve the login: ${approvalError.message}`);
  if (code !== 0) throw new Error(`\`authctl login\` exited with ${code}${failure ? `: ${failure}` : ''}`);
  out(`Logged in to profile "${PROFILE}"${subject ? ` as ${subject}` : ''}.`);
}

async function showToken(): Promise<void> {
  section('Get a token, as any CLI would');
  showCommand(['token']);
  const token = (await authctlOrFail(['token'])).trim();
  out(token);
  out();
  out('Its claims (the JWT payload, decoded by the demo):');
  out(JSON.stringify(decodeJwtPayload(token), null, 2));
}

function decodeJwtPayload(token: string): unknown {
  const payload = token.split('.')[1];
  if (!payload) throw new Error('the token is not a JWT');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

async function showStatus(): Promise<void> {
  section('Status');
  showCommand(['status']);
  await authctlOrFail(['status'], { showStdout: true });
}

async function finish(): Promise<void> {
  out();
  out('== Clean up ' + '='.repeat(68));
  const dir = started.home?.dir;
  showCommand(['daemon', 'stop']);
  await authctl(['daemon', 'stop']);
  await cleanUp();
  out(`Stopped the agent and the test IdP; removed the throw-away home ${dir}.`);
}

// ---------------------------------------------------------------------------------------------

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    out(USAGE);
    return 0;
  }
  const unknown = argv.filter((a) => a !== '--auto-approve');
  if (unknown.length) {
    process.stderr.write(`demo: unknown argument ${unknown[0]}\n\n${USAGE}`);
    return 2;
  }
  const autoApprove = argv.includes('--auto-approve') || !process.stdin.isTTY;

  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = signal;
    process.stderr.write(`\ndemo: ${signal}: cleaning up...\n`);
    void cleanUp().then(() => process.exit({ SIGHUP: 129, SIGINT: 130, SIGTERM: 143 }[signal as string] ?? 1));
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, onSignal);

  out('authctl demo: a credential agent, end to end, on this machine only.');
  try {
    const idp = await startIdp();
    await startAgent();
    await addProfile(idp);
    await logIn(idp, autoApprove);
    await showToken();
    await showStatus();
    await finish();
    out('Done.');
    return 0;
  } catch (e) {
    if (interrupted) return new Promise<number>(() => undefined); // the signal handler exits
    process.stderr.write(`\ndemo: ${(e as Error).message}\n`);
    const dir = started.home?.dir;
    await cleanUp();
    if (dir) process.stderr.write(`demo: cleaned up (removed ${dir}).\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
