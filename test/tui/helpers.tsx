import { render } from 'ink-testing-library';
import { App } from '../../src/tui/App.js';
import { coreSources, type Sources } from '../../src/tui/sources.js';

/** Sources over the real core for a temp root, with some parts overridden by a test. */
export function sourcesFor(root: string, over: Partial<Sources> = {}): Sources {
  return { ...coreSources(root), ...over };
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
