import { escapeLine } from './escape.js';

/**
 * Columns padded to their widest cell, two spaces apart, the last one unpadded. One cell, one
 * line: a newline or an escape in a cell (a package summary) must not fake or redraw a row.
 */
export function table(cells: string[][]): string {
  const rows = cells.map((r) => r.map(escapeLine));
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '))
    .join('\n');
}
