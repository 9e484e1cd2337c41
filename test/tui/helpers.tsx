import { render } from 'ink-testing-library';
import { expect } from 'vitest';
import { App } from '../../src/tui/App.js';
import { coreSources, type Sources } from '../../src/tui/sources.js';
import { sshPublicKey } from '../setup/helpers.js';

/** Sources over the real core for a temp root, with some parts overridden by a test. */
export function sourcesFor(
  root: string,
  over: Partial<Sources> = {},
  opts: Parameters<typeof coreSources>[1] = {},
): Sources {
  return { ...coreSources(root, opts), ...over };
}

export function renderApp(
  sources: Sources,
  opts: { plain?: boolean; initial?: 'setup'; wizardOnly?: boolean } = {},
) {
  const exits: number[] = [];
  const app = render(
    <App
      sources={sources}
      theme={{ plain: opts.plain ?? true }}
      {...(opts.initial ? { initial: opts.initial } : {})}
      wizardOnly={opts.wizardOnly ?? false}
      onExit={(c) => exits.push(c)}
    />,
  );
  return { ...app, exits };
}

/** A console's size (80x24, a serial line's 80x25), set on the test terminal and announced as a resize. */
export function consoleSize(
  app: Pick<ReturnType<typeof render>, 'stdout'>,
  columns: number,
  rows: number,
): void {
  // Configurable: a test may resize the console again.
  Object.defineProperties(app.stdout, {
    columns: { value: columns, configurable: true },
    rows: { value: rows, configurable: true },
  });
  app.stdout.emit('resize');
}

/** Every frame within the screen: no more rows than it has, no line wider. */
export function expectFits(frames: string[], columns: number, rows: number): void {
  for (const f of frames) {
    const lines = f.split('\n');
    expect(lines.length, f).toBeLessThanOrEqual(rows);
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(columns);
  }
}

/** Waits until the last frame satisfies `test` (renders are asynchronous); fails with the frame. */
export async function frameWith(
  app: { lastFrame(): string | undefined },
  test: string | RegExp,
  limit = 200,
) {
  for (let i = 0; i < limit; i++) {
    const f = app.lastFrame() ?? '';
    if (typeof test === 'string' ? f.includes(test) : test.test(f)) {
      // Ink paints before React runs the effects that subscribe to keys: let them run.
      await new Promise((r) => setTimeout(r, 50));
      return f;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`Screen never showed ${test}. Last frame:\n${app.lastFrame()}`);
}

/** Types into the app one key at a time, as a person would. */
export async function type(app: { stdin: { write(s: string): void } }, ...keys: string[]) {
  for (const k of keys) {
    app.stdin.write(k);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Answers the wizard's first three steps (the hostname, the time zone: typed, or the default with
 * none, the default admin) and waits for the admin's SSH key step.
 */
export async function wizardToAdminKey(
  app: Parameters<typeof frameWith>[0] & Parameters<typeof type>[0],
  hostname: string,
  timeZone?: string,
): Promise<void> {
  await frameWith(app, 'Step 1 of');
  await type(app, '\x15', hostname, '\r');
  await frameWith(app, 'Time zone');
  await type(app, ...(timeZone === undefined ? ['\r'] : ['\x15', timeZone, '\r']));
  await frameWith(app, 'Admin user');
  await type(app, '\r');
  await frameWith(app, 'Admin SSH key');
}

/**
 * From the wizard's first step to its "repository's public signing key" prompt: host box-07, UTC,
 * an SSH key with SSH on, a repository URL. The key-trust tests type their key file there.
 */
export async function wizardToRepositoryKey(
  app: Parameters<typeof frameWith>[0] & Parameters<typeof type>[0],
): Promise<void> {
  await wizardToAdminKey(app, 'box-07', 'UTC');
  await type(app, '\x15', sshPublicKey('ops@laptop'), '\r');
  await frameWith(app, 'Let SSH listen?');
  await type(app, 'y');
  await frameWith(app, 'URL of the package repository');
  await type(app, '\x15', 'https://repo.example.org/blueprint', '\r');
  await frameWith(app, "repository's public signing key");
}

/** The wizard at its key-trust question for the key `file` (box at `root`), on an 80x24 console: the frame holding `want`. */
export async function wizardTrustQuestion(root: string, file: string, want: string): Promise<string> {
  const app = renderApp(sourcesFor(root), { initial: 'setup', wizardOnly: true });
  await wizardToRepositoryKey(app);
  await type(app, '\x15', file, '\r');
  await frameWith(app, 'Trust the repository key?');
  consoleSize(app, 80, 24);
  try {
    return await frameWith(app, want);
  } finally {
    app.unmount();
  }
}

/** The console password `answerWizardToModules` types with SSH off. */
export const CONSOLE_PASSWORD = 'Correct-Horse-9';

/** After SSH answered n: the console password's two steps (QA18), with `CONSOLE_PASSWORD`. */
export async function typeConsolePassword(
  app: Parameters<typeof frameWith>[0] & Parameters<typeof type>[0],
): Promise<void> {
  await frameWith(app, 'Console password for');
  await type(app, CONSOLE_PASSWORD, '\r');
  await frameWith(app, 'The same console password again');
  await type(app, CONSOLE_PASSWORD, '\r');
}

/**
 * Answers the wizard's first steps the plainest way (this hostname, default time zone and admin,
 * an SSH key, SSH off unless `ssh`, no repository, default DNS, no NTP, no security updates) and
 * accepts the GPU check: the app then shows the module step.
 */
export async function answerWizardToModules(
  app: Parameters<typeof frameWith>[0] & Parameters<typeof type>[0],
  hostname: string,
  { ssh = false }: { ssh?: boolean } = {},
): Promise<void> {
  await wizardToAdminKey(app, hostname);
  await type(app, '\x15', sshPublicKey('ops@laptop'), '\r');
  await frameWith(app, 'Let SSH listen?');
  await type(app, ssh ? 'y' : 'n');
  if (!ssh) await typeConsolePassword(app);
  await answerRepositoryToGpu(app);
}

/**
 * From the wizard's repository step through the GPU check: the default repository and DNS servers,
 * no NTP server, no Debian security updates; then the modules step is next.
 */
export async function answerRepositoryToGpu(
  app: Parameters<typeof frameWith>[0] & Parameters<typeof type>[0],
): Promise<void> {
  await frameWith(app, 'URL of the package repository');
  await type(app, '\x15', '\r');
  await frameWith(app, 'DNS server addresses');
  await type(app, '\r');
  await frameWith(app, 'NTP servers');
  await type(app, '\x15', 'none', '\r');
  await frameWith(app, 'Debian security updates');
  await type(app, 'n');
  await frameWith(app, 'GPU check');
  await new Promise((r) => setTimeout(r, 1100)); // a bare Enter this soon would belong to the n
  await type(app, '\r');
}
