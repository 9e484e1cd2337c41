import type { Context } from '../cli/context.js';

/** Opens the Ink interface; resolves with the exit code when the user quits. */
export async function openTui(ctx: Context): Promise<number> {
  const [{ render }, { createElement }, { App }] = await Promise.all([
    import('ink'),
    import('react'),
    import('./App.js'),
  ]);
  const app = render(createElement(App, { root: ctx.root }));
  await app.waitUntilExit();
  return 0;
}
