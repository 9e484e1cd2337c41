import { enableCodeCache, flushCodeCache, SETTLE_MS, shrinkHeap, withoutFetch } from './runtime.js';
import type { ScreenName } from './screen.js';

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
  const [{ render }, react, { App }, { Settle }, { coreSources }, { isPlain }] = await Promise.all([
    withoutFetch(() => import('ink')),
    import('react'),
    import('./App.js'),
    import('./Settle.js'),
    import('./sources.js'),
    import('./theme.js'),
  ]);
  // React is CommonJS: in the ESM bundle its exports sit on `default`.
  const createElement = react.default.createElement;
  let code = 0;
  // The first-boot console unit runs `blueprint setup`; here a box not set up says so on the
  // Dashboard ("press 5") rather than surprising an admin with the wizard.
  const sources = coreSources(root);
  const initial = opts.screen;
  const plain = isPlain(process.env, !(opts.color ?? true));
  // Memory: once start-up settles, and again once the console has been left alone a while after
  // each key (a screen switch loads and drops its data), V8 gives back what it no longer needs.
  const settled = setTimeout(() => {
    flushCodeCache();
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
