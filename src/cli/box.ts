import { type Box, openBox, type Question, UsageError } from '../app/index.js';
import { showFingerprint } from '../present/fingerprint.js';
import { planLines, upgradePlanLines } from '../present/install.js';
import { shownHint } from '../present/root-in-hints.js';
import type { Context } from './context.js';
import { progressReporter } from './progress.js';
import { confirm } from './prompt.js';

/**
 * The box as the CLI uses it: this root, this user's output, one way of confirming. `--yes`
 * answers every question; with no terminal (or --json) changes go ahead, except trusting a key
 * without its fingerprint, which is refused; on a terminal the plan is shown and the admin asked.
 */
export function cliBox(ctx: Context): Box {
  let box = boxes.get(ctx);
  if (!box) {
    box = openCliBox(ctx);
    boxes.set(ctx, box);
  }
  return box;
}

/** One box per command run: one engine connection, however many times a command asks for it. */
const boxes = new WeakMap<Context, Box>();

function openCliBox(ctx: Context): Box {
  return openBox(ctx.root, {
    yes: ctx.yes,
    confirm: (q) => confirmOnTerminal(ctx, q),
    info: ctx.info,
    // The commands a warning of the package manager names act on this box (--root): as a hint's.
    warn: (line) => ctx.warn(shownHint(line)),
    onProgress: progressReporter(ctx),
    signal: ctx.signal,
  });
}

async function confirmOnTerminal(ctx: Context, q: Question): Promise<boolean> {
  const onTerminal = ctx.interactive && !ctx.json;
  if (q.kind === 'trust-key') {
    // `bpkg key add` has shown the key; with nobody to answer, only a fingerprint pin trusts it.
    // --json asks nothing, on a terminal too: there the question was skipped as answered yes.
    if (!onTerminal)
      throw new UsageError(
        'Refusing to trust a key without its fingerprint',
        `Pass --fingerprint ${showFingerprint(q.key.fingerprint)} after checking it with the publisher (or --yes).`,
      );
    // Its fingerprint in the question: a key of many user IDs scrolls the `Key FPR` line off the screen.
    return confirm(ctx, `Trust key ${showFingerprint(q.key.fingerprint)} to sign packages?`);
  }
  if (q.kind === 'remove') return confirm(ctx, `Remove ${q.names.join(', ')}?`);
  if (!onTerminal) return true;
  if (q.kind === 'upgrade') {
    ctx.info(upgradePlanLines(q.changes).join('\n'));
    return confirm(ctx, 'Upgrade these packages?');
  }
  ctx.info(planLines(q.changes).join('\n'));
  return confirm(ctx, 'Install these packages?');
}
