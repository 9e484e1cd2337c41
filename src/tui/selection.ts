/**
 * A list's selected row, kept by the row's key: a refresh that adds or removes rows above it (a
 * service appears, a package is removed) leaves the cursor on the same row, as lazydocker does;
 * kept by position, it landed on another row, and the next key (S stop, x remove) acted on that one.
 */
export interface Selection {
  /** Where the row was at the last render. */
  index: number;
  /** Its key; none until a row is selected by a move (a new filter selects the first row). */
  key?: string;
  /** The keys of the rows at the last render, to find the nearest one when the row is gone. */
  keys: string[];
}

/**
 * The index to select among `keys`: the selected row's own; when it is gone, the nearest row of
 * the last render still there (the one after it, else the one before, and so on out); with no key,
 * or none of them left, `index` within the list.
 */
export function followSelection(sel: Selection, keys: string[]): number {
  const clamped = Math.max(0, Math.min(sel.index, keys.length - 1));
  if (sel.key === undefined) return clamped;
  const here = keys.indexOf(sel.key);
  if (here >= 0) return here;
  const was = sel.keys.indexOf(sel.key);
  if (was < 0) return clamped;
  for (let d = 1; d < sel.keys.length; d++) {
    for (const i of [was + d, was - d]) {
      const k = sel.keys[i];
      const at = k === undefined ? -1 : keys.indexOf(k);
      if (at >= 0) return at;
    }
  }
  return clamped;
}
