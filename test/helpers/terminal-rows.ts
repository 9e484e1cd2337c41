import { Pane } from '../tui/tmux.js';

/**
 * How many terminal rows tmux takes to draw `row` in a pane `width` columns wide: 1 when the row fits
 * as the console counted it, more when the terminal draws it wider and wraps it again. `panes`
 * collects the panes for the caller's afterEach to kill.
 */
export async function drawnRows(row: string, width: number, panes: Pane[]): Promise<number> {
  const pane = new Pane(['sh', '-c', 'printf "%s\\n" "$ROW"; printf END'], {
    width,
    height: 10,
    env: { ROW: row },
  });
  panes.push(pane);
  const screen = await pane.waitFor(/^END/m);
  return screen.split('\n').findIndex((l) => l.startsWith('END'));
}
