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
  return escapeLine(
    `needs ${bytes(e.memoryBytes)} memory, ${bytes(e.installedBytes + e.imageBytes)} disk${gpu}`,
  );
}

/** What the chosen modules need together. */
export function catalogNeeds(chosen: CatalogEntry[]): { memoryBytes: number; diskBytes: number } {
  return {
    memoryBytes: chosen.reduce((n, e) => n + e.memoryBytes, 0),
    diskBytes: chosen.reduce((n, e) => n + e.installedBytes + e.imageBytes, 0),
  };
}

/** The box's memory and free disk, then the selection's needs, and whether they fit. */
export function catalogTotals(
  chosen: CatalogEntry[],
  box: { memoryBytes: number; freeDiskBytes: number },
): string[] {
  const need = catalogNeeds(chosen);
  const short = [
    ...(need.memoryBytes > box.memoryBytes ? ['memory'] : []),
    ...(need.diskBytes > box.freeDiskBytes ? ['disk'] : []),
  ];
  return [
    `This box: ${bytes(box.memoryBytes)} memory, ${bytes(box.freeDiskBytes)} free disk.`,
    `Chosen: ${chosen.length} module(s), ${bytes(need.memoryBytes)} memory, ${bytes(need.diskBytes)} disk.${
      short.length ? ` Does not fit: not enough ${short.join(' or ')}.` : ''
    }`,
  ];
}
