import type { Sources } from './sources.js';

/**
 * What App gives each screen. Its own module, so screens and App do not import each other
 * (App imports the screens; the screens import this).
 */
export const SCREENS = ['dashboard', 'packages', 'services', 'keys', 'setup', 'outbound', 'system'] as const;
export type ScreenName = (typeof SCREENS)[number];
/**
 * Rows of the body (the screen less its first and last rows) that App keeps out of a screen's
 * `height`. A screen too short for its must-haves may take them (the wizard's checklist at 40x12).
 */
export const SPARE_ROWS = 2;
export interface ScreenProps {
  sources: Sources;
  width: number;
  /** Rows available to the screen's body. */
  height: number;
  /** A text field has the keyboard: global keys (q, 1-7, ?) are off. */
  setCapture(on: boolean): void;
  /** A long operation runs: Ctrl-C waits for its current step. */
  setBusy(on: boolean): void;
  /** Aborted when the user asks to quit during an operation. */
  signal: AbortSignal;
  /**
   * The wizard finished: a standalone `blueprint setup` quits, with `code` (the refusal's exit
   * code: 5 when another console set the box up meanwhile and this setup was not applied) or 0.
   */
  onDone?(code?: number): void;
  /** Leave this screen (Esc on a first step): back to the Dashboard, or quit the standalone wizard. */
  onLeave(): void;
}
