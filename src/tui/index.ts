import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { enableCodeCache, flushCodeCache } from './code-cache.js';
import type { FirstRead } from './dashboard-data.js';
import {
  leanHeap,
  loadPaintBuiltins,
  SETTLE_MS,
  SETTLED_FLAGS,
  shrinkHeap,
  withoutFetch,
} from './runtime.js';
import type { ScreenName } from './screen.js';

/** How long the first frame waits for the Dashboard's data before it shows a placeholder. */
const FIRST_DATA_MS = 300;

export interface TuiOptions {
  screen?: ScreenName;
  /** Opened by the SSH login hook. */
  login?: boolean;
  /** Colours allowed (the CLI's --no-color, NO_COLOR, TERM=dumb say no). */
  color?: boolean;
  /**
   * Aborted when the process is asked to stop (the CLI's SIGTERM/SIGINT signal): the interface
   * closes at once and the answer is 130. The image stops the other console's wizard this way.
   */
  signal?: AbortSignal;
}

/** Opens the Ink interface on the box at `root`; resolves with the exit code when the user quits. */
export async function openTui(root: string, opts: TuiOptions = {}): Promise<number> {
  enableCodeCache();
  loadPaintBuiltins();
  leanHeap();
  const initial = opts.screen;
  // The Dashboard's data is read while Ink, React and the screens load (issue 20): the reads wait
  // on files and the engine, the loading on the CPU. Not for the wizard, which shows no Dashboard.
  const [{ coreSources }, { readDashboard }] = await Promise.all([
    import('./sources.js'),
    import('./dashboard-data.js'),
  ]);
  // The first-boot console unit runs `blueprint setup`; here a box not set up says so on the
  // Dashboard ("press 5") rather than surprising an admin with the wizard.
  const sources = coreSources(root);
  const dashboard: FirstRead | undefined =
    initial === undefined || initial === 'dashboard'
      ? { pending: readDashboard(sources, os.cpus(), { first: true }).catch(() => undefined) }
      : undefined;
  // Ink, React and the screens: in the executable one part compiled with a code cache made after a
  // first paint (scripts/build-console-part.mjs), Yoga's WebAssembly instantiated first.
  const { render, createElement, App, Settle, isPlain } = await withoutFetch(() => import('./console.js'));
  // The first frame shows the data when it comes soon enough: one paint instead of a placeholder
  // and then the Dashboard. A slow engine or disk gets the placeholder after FIRST_DATA_MS.
  if (dashboard) {
    const value = await Promise.race([dashboard.pending, sleep(FIRST_DATA_MS, undefined, { ref: false })]);
    if (value) dashboard.value = value;
  }
  let code = 0;
  const plain = isPlain(process.env, !(opts.color ?? true));
  // Memory: once start-up settles, and again once the console has been left alone a while after
  // each key (a screen switch loads and drops its data), V8 gives back what it no longer needs.
  const settled = setTimeout(() => {
    flushCodeCache();
    leanHeap(SETTLED_FLAGS);
    shrinkHeap();
  }, SETTLE_MS);
  settled.unref();
  const app = render(
    createElement(
      Settle,
      { onInput: () => void settled.refresh() },
      createElement(App, {
        sources,
        theme: { plain },
        ...(initial ? { initial } : {}),
        ...(dashboard ? { dashboard } : {}),
        wizardOnly: opts.screen === 'setup',
        login: opts.login ?? false,
        onExit: (c: number) => {
          code = c;
        },
      }),
    ),
    // Ctrl-C is the App's: it lets a running operation finish its step instead of dying mid-write.
    // `interactive`: the CLI opens the TUI only on a terminal, so a CI=true inherited from an
    // automation job (Ink reads it as "no live screen, paint the last frame at exit") must not
    // leave a person looking at a blank terminal.
    { exitOnCtrlC: false, alternateScreen: !plain, interactive: true },
  );
  const onAbort = () => {
    code = 130;
    app.unmount();
  };
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await app.waitUntilExit();
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    clearTimeout(settled);
  }
  return code;
}
