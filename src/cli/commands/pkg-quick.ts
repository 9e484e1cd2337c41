import { ExitCode } from '../../app/base.js';
import {
  fullUpdate,
  quickSearch,
  quickUpdate,
  type SearchHit,
  type UpdateOutcome,
  unindexedRepositories,
} from '../../app/pkg-quick.js';
import { escapeText } from '../../present/escape.js';
import { hitJson } from '../../present/pkg-json.js';
import { shownHint } from '../../present/root-in-hints.js';
import { table } from '../../present/table.js';
import { notUpdatedLines, unfetched, unkept, updateOutcomeText } from '../../present/update-outcome.js';
import { type Context, sayIfSlow } from '../context.js';

/** `bpkg search`'s answer (pkg.ts, and the quick path below). */
export async function showHits(ctx: Context, hits: SearchHit[]): Promise<void> {
  // A fresh box: `bpkg update` would only say there is no repository, so the step missing is said;
  // a repository never accepted (its update refused): "run update" again would send the admin back.
  // The commands it names act on the box searched (--root): shownHint, as a hint's.
  const none = hits.length || ctx.json ? '' : shownHint(noHitsText(unindexedRepositories(ctx.root)));
  // Formatted only when shown: `--json` prints the hits alone.
  ctx.result(ctx.json ? hits.map(hitJson) : hits, () => (hits.length ? hitsTable(hits) : none));
}

function noHitsText({ names, total }: { names: string[]; total: number }): string {
  if (total === 0)
    return 'No matching packages: no repository is configured. Add one with `bpkg repo add NAME URL`, then run `bpkg update`.';
  if (names.length === 0) return 'No matching packages (run `bpkg update` to refresh the indexes).';
  const which =
    names.length === total
      ? 'no repository has'
      : `${names.join(', ')} ${names.length === 1 ? 'has' : 'have'} no`;
  return `No matching packages: ${which} a verified index yet (${names.join(', ')}): \`bpkg update\` fetches it, and says why when it is refused (often a key not trusted).`;
}

const HEAD = ['NAME', 'VERSION', 'REPO', 'SUMMARY'] as const;
const versionCell = (h: SearchHit) => h.version + (h.installed ? ` [installed ${h.installed}]` : '');

/** Printable ASCII (space to `~`) only, which escapeLine leaves as it is. */
const PRINTABLE = /^[\x20-\x7e]*$/;

/**
 * table() of the hits (NAME, VERSION, REPO, SUMMARY) and a newline, exactly. When every cell is
 * printable ASCII (escaping changes nothing, one character one column), the cells and shared
 * runs of spaces are joined once: table()'s arrays, escaped copies, padded cells and row strings
 * were ~800 KB of garbage for ~1,500 hits, most of a young generation, and cost `bpkg search` a
 * scavenge (issue 20). Ending with the newline, the answer is written without a copy that adds it.
 */
export function hitsTable(hits: SearchHit[] & { printable?: true }): string {
  const w = [HEAD[0].length, HEAD[1].length, HEAD[2].length];
  // Judged already when the search tables were written (core/pkg/search-fast.ts SearchHits):
  // ~0.4-0.8 ms of four tests a hit for ~1,400 hits (issue 20).
  const known = hits.printable === true;
  let plain = true;
  // Index loops: a for-of's iterator results were ~100 KB of garbage before the loop was optimised.
  for (let k = 0; k < hits.length; k++) {
    const h = hits[k]!;
    const v = versionCell(h);
    plain &&=
      known ||
      (PRINTABLE.test(h.name) && PRINTABLE.test(v) && PRINTABLE.test(h.repo) && PRINTABLE.test(h.summary));
    if (h.name.length > w[0]!) w[0] = h.name.length;
    if (v.length > w[1]!) w[1] = v.length;
    if (h.repo.length > w[2]!) w[2] = h.repo.length;
  }
  if (!plain)
    return `${table([[...HEAD], ...hits.map((h) => [h.name, versionCell(h), h.repo, h.summary])])}\n`;
  const pads = [''];
  for (let i = 1; i <= Math.max(...w) + 2; i++) pads.push(`${pads[i - 1]} `);
  const parts: string[] = new Array((hits.length + 1) * 8);
  let at = 0;
  const row = (name: string, version: string, repo: string, summary: string) => {
    parts[at++] = name;
    parts[at++] = pads[w[0]! - name.length + 2]!;
    parts[at++] = version;
    parts[at++] = pads[w[1]! - version.length + 2]!;
    parts[at++] = repo;
    parts[at++] = pads[w[2]! - repo.length + 2]!;
    parts[at++] = summary;
    parts[at++] = '\n';
  };
  row(...HEAD);
  for (let k = 0; k < hits.length; k++) {
    const h = hits[k]!;
    row(h.name, versionCell(h), h.repo, h.summary);
  }
  return parts.join('');
}

/** Said when `bpkg update` waits on the network for long (pkg.ts, and the quick path below). */
export const UPDATE_WAIT = "fetching the repositories' signed indexes (waiting for the network)...";

/** `bpkg update`'s answer and exit code (pkg.ts, and the quick path below). */
export function showUpdate(ctx: Context, outcomes: UpdateOutcome[]): number {
  // Each hint's commands on the box updated in --json too, as in the text (a script pasting one
  // acted on / after --root DIR). shownHint leaves a command that has its --root as it is.
  for (const { error: e } of outcomes) if (e?.hint) e.hint = shownHint(e.hint);
  const ok = outcomes.every((o) => o.ok);
  // A refusal is an error: it is printed even with -q.
  (ok ? ctx.report : ctx.result)(outcomes, shownHint(outcomes.map(updateOutcomeText).join('\n')));
  if (ok) return ExitCode.ok;
  // --json: stdout is the array, which says it; the log (stderr) is told too, as of any error.
  if (ctx.json) ctx.stderr.write(`${escapeText(shownHint(notUpdatedLines(outcomes).join('\n')))}\n`);
  // A refusal decides (4); then a disk that could not keep an index (7); an outage alone is 1.
  if (!outcomes.every((o) => o.ok || unfetched(o) || unkept(o))) return ExitCode.verification;
  return outcomes.some(unkept) ? ExitCode.storage : ExitCode.failure;
}

/**
 * `bpkg search WORD` and `bpkg update` (nothing else on the line) answered from the executable's
 * start part, without loading the pkg command's modules (the ES module loader and the package
 * manager: most of what these commands cost, issue 20). Undefined whenever the quick search cannot
 * answer (see quickSearch): then the pkg command runs as it always did. An update quickUpdate
 * declines is the package manager's (fullUpdate), as the pkg command would run it.
 */
export async function quickPkg(ctx: Context, argv: string[]): Promise<number | undefined> {
  const [sub, ...rest] = argv;
  if (sub === 'search' && rest.length === 1 && !rest[0]!.startsWith('-')) {
    const hits = await quickSearch(ctx.root, rest[0]!);
    if (!hits) return undefined;
    await showHits(ctx, hits);
    return ExitCode.ok;
  }
  if (sub === 'update' && rest.length === 0) {
    // What quickUpdate does not answer, the package manager's update does, as `pkg update` would
    // have run it, without the pkg command's modules (fullUpdate).
    const outcomes = await sayIfSlow(
      ctx,
      UPDATE_WAIT,
      quickUpdate(ctx.root).then((o) => o ?? fullUpdate(ctx.root, ctx.signal)),
    );
    return showUpdate(ctx, outcomes);
  }
  return undefined;
}
