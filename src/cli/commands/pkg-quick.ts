import { ExitCode } from '../../app/base.js';
import { quickSearch, quickUpdate, type SearchHit, type UpdateOutcome } from '../../app/pkg-quick.js';
import { escapeLine } from '../../present/escape.js';
import { packageCount } from '../../present/packages.js';
import { table } from '../../present/table.js';
import type { Context } from '../context.js';

/** `bpkg search`'s answer (pkg.ts, and the quick path below). */
export function showHits(ctx: Context, hits: SearchHit[]): void {
  ctx.result(
    hits,
    hits.length
      ? table([
          ['NAME', 'VERSION', 'REPO', 'SUMMARY'],
          ...hits.map((h) => [
            h.name,
            h.version + (h.installed ? ` [installed ${h.installed}]` : ''),
            h.repo,
            h.summary,
          ]),
        ])
      : 'No matching packages (run `bpkg update` to refresh the indexes).',
  );
}

/** `bpkg update`'s answer and exit code (pkg.ts, and the quick path below). */
export function showUpdate(ctx: Context, outcomes: UpdateOutcome[]): number {
  // A refusal is an error: it is printed even with -q.
  (outcomes.every((o) => o.ok) ? ctx.report : ctx.result)(
    outcomes,
    outcomes
      .map((o) =>
        o.ok
          ? `${o.repo}: ${o.changed ? 'updated to' : 'unchanged at'} version ${o.version} (${packageCount(o.packages ?? 0)})${o.boundKey ? `; bound to key ${o.boundKey}, the only trusted key` : ''}${o.rotatedKey ? `; now trusts rotated key ${o.rotatedKey} for it` : ''}${(o.skipped ?? []).map((m) => `\n  warning: skipped mirror ${escapeLine(m.url)}: ${escapeLine(m.message)}`).join('')}`
          : `${o.repo}: REFUSED: ${o.error?.message}${o.error?.hint ? `\n  hint: ${o.error.hint}` : ''}`,
      )
      .join('\n'),
  );
  return outcomes.every((o) => o.ok) ? ExitCode.ok : ExitCode.verification;
}

/**
 * `bpkg search WORD` and `bpkg update` (nothing else on the line) answered from the executable's
 * start part, without loading the pkg command's modules (the ES module loader and the package
 * manager: most of what these commands cost, issue 20). Undefined whenever the quick answer cannot
 * be given (see quickSearch and quickUpdate): then the pkg command runs as it always did.
 */
export async function quickPkg(ctx: Context, argv: string[]): Promise<number | undefined> {
  const [sub, ...rest] = argv;
  if (sub === 'search' && rest.length === 1 && !rest[0]!.startsWith('-')) {
    const hits = await quickSearch(ctx.root, rest[0]!);
    if (!hits) return undefined;
    showHits(ctx, hits);
    return ExitCode.ok;
  }
  if (sub === 'update' && rest.length === 0) {
    const outcomes = await quickUpdate(ctx.root);
    return outcomes && showUpdate(ctx, outcomes);
  }
  return undefined;
}
