import type { ProgressEvent } from '../app/index.js';
import { escapeLine } from '../present/escape.js';
import { bytes as mb } from '../present/units.js';
import type { Context } from './context.js';

/** Package progress: a redrawn bar on a terminal, a few plain lines otherwise, nothing with --json. */
export function progressReporter(ctx: Context): (e: ProgressEvent) => void {
  if (ctx.json || ctx.quiet) return () => {};
  const tty = Boolean((ctx.stderr as NodeJS.WriteStream).isTTY);
  let lastQuarter = -1;
  let lastDraw = 0;
  return (event) => {
    // The bar is drawn with its own escapes: the package name in it must not carry any.
    const e = { ...event, name: escapeLine(event.name) };
    if (e.phase !== 'download') {
      if (tty) ctx.stderr.write('\r\x1b[K');
      ctx.info(
        `${e.phase === 'unpack' ? 'unpacking' : e.phase === 'verify' ? 'verifying' : e.phase === 'prepare' ? 'preparing' : e.phase} ${e.name}`,
      );
      lastQuarter = -1;
      return;
    }
    const total = e.total ?? 0;
    const frac = total ? e.bytes / total : 0;
    if (tty) {
      const now = Date.now();
      if (now - lastDraw < 80 && e.bytes !== total) return;
      lastDraw = now;
      const width = 30;
      const fill = Math.round(frac * width);
      ctx.stderr.write(
        `\r\x1b[Kdownloading ${e.name} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${mb(e.bytes)}/${mb(total)}`,
      );
      if (e.bytes === total) ctx.stderr.write('\n');
      return;
    }
    const quarter = Math.floor(frac * 4);
    if (quarter !== lastQuarter) {
      lastQuarter = quarter;
      ctx.info(`downloading ${e.name}: ${Math.round(frac * 100)}% of ${mb(total)}`);
    }
  };
}
