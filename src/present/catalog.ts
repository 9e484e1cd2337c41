import type { CatalogEntry } from '../app/index.js';
import { escapeLine } from './escape.js';
import { bytes } from './units.js';

/**
 * The offline catalog as the setup wizard shows it (issue 18): what each module needs, and what a
 * selection needs against what the box has. Summaries come from the catalog's index: escaped.
 */
export function catalogRow(e: CatalogEntry): string {
  return escapeLine(`${e.name} ${e.version}  ${e.summary}`);
}

export function catalogNeedsLine(e: CatalogEntry): string {
  if (e.problem) return escapeLine(`cannot be installed: ${e.problem}`);
  const gpu =
    e.gpu === 'required' ? ', needs a GPU' : e.gpu === 'optional' ? ', uses a GPU if there is one' : '';
  // Setup approves no outbound network: such a module is installed afterwards, approving its hosts.
  if (e.outbound.length)
    return escapeLine(
      `asks for outbound network to ${e.outbound.join(', ')}: install it after setup (Packages), approving them`,
    );
  const brings = e.requires.length ? `; brings ${e.requires.join(', ')}` : '';
  return escapeLine(
    `needs ${bytes(e.memoryBytes)} memory, ${bytes(e.installedBytes + e.imageBytes)} disk${gpu}${brings}`,
  );
}

/**
 * The chosen entries and, after them, those of `all` they bring (depends and uses, followed
 * through): installing rag installs embeddings, vectors and llm, so their needs are the choice's.
 */
export function catalogWithRequired(chosen: CatalogEntry[], all: CatalogEntry[] = chosen): CatalogEntry[] {
  const out = [...chosen];
  for (let i = 0; i < out.length; i++)
    for (const name of out[i]!.requires) {
      const e = all.find((x) => x.name === name);
      if (e && !out.includes(e)) out.push(e);
    }
  return out;
}

/** What the chosen modules need together, with what they bring from `all`. */
export function catalogNeeds(
  chosen: CatalogEntry[],
  all: CatalogEntry[] = chosen,
): { memoryBytes: number; diskBytes: number } {
  const every = catalogWithRequired(chosen, all);
  return {
    memoryBytes: every.reduce((n, e) => n + e.memoryBytes, 0),
    diskBytes: every.reduce((n, e) => n + e.installedBytes + e.imageBytes, 0),
  };
}

/**
 * The box's memory and free disk, then the selection's needs (with what it brings from `all`, the
 * whole catalog), whether they fit, and a line for each module chosen or brought that serves
 * packages of which none is chosen (llm and its model-* packages): it would not start.
 */
export function catalogTotals(
  chosen: CatalogEntry[],
  box: { memoryBytes: number; freeDiskBytes: number },
  all: CatalogEntry[] = chosen,
): string[] {
  const brought = catalogWithRequired(chosen, all)
    .slice(chosen.length)
    .map((e) => e.name);
  const need = catalogNeeds(chosen, all);
  const bring = brought.length
    ? ` and the ${brought.length} they bring (${[...brought].sort().join(', ')})`
    : '';
  return [
    `This box: ${bytes(box.memoryBytes)} memory, ${bytes(box.freeDiskBytes)} free disk.`,
    `Chosen: ${chosen.length} module(s)${bring}, ${bytes(need.memoryBytes)} memory, ${bytes(need.diskBytes)} disk.${doesNotFit(need, box)}`,
    ...unserved(chosen, all).map(
      (u) => `${u.name} serves ${u.pattern} packages: choose one too (${u.offered}).`,
    ),
  ].map(escapeLine);
}

/**
 * catalogTotals in fewer rows, for a screen too short for them (a 40x12 serial line): what the
 * choice needs, with what it brings, of what the box has, whether it fits, and a short line for
 * each module that serves packages of which none is chosen.
 */
export function catalogTotalsShort(
  chosen: CatalogEntry[],
  box: { memoryBytes: number; freeDiskBytes: number },
  all: CatalogEntry[] = chosen,
): string[] {
  const need = catalogNeeds(chosen, all);
  return [
    `Choice needs ${bytes(need.memoryBytes)} of ${bytes(box.memoryBytes)} memory, ${bytes(need.diskBytes)} of ${bytes(box.freeDiskBytes)} free disk.${doesNotFit(need, box)}`,
    ...unserved(chosen, all).map((u) => `${u.name}: choose a ${u.pattern} too (${u.offered}).`),
  ].map(escapeLine);
}

function doesNotFit(
  need: { memoryBytes: number; diskBytes: number },
  box: { memoryBytes: number; freeDiskBytes: number },
): string {
  const short = [
    ...(need.memoryBytes > box.memoryBytes ? ['memory'] : []),
    ...(need.diskBytes > box.freeDiskBytes ? ['disk'] : []),
  ];
  return short.length ? ` Does not fit: not enough ${short.join(' or ')}.` : '';
}

/** Each module chosen or brought that serves packages of which none is chosen, with those offered. */
function unserved(
  chosen: CatalogEntry[],
  all: CatalogEntry[],
): { name: string; pattern: string; offered: string }[] {
  const every = catalogWithRequired(chosen, all);
  return every.flatMap((e) =>
    e.serves
      .filter((pattern) => !every.some((x) => x.name.startsWith(pattern.slice(0, -1))))
      .map((pattern) => {
        const offered = all
          .filter((x) => x.name.startsWith(pattern.slice(0, -1)) && !x.problem)
          .map((x) => x.name);
        return { name: e.name, pattern, offered: offered.join(', ') || 'the catalog has none' };
      }),
  );
}
