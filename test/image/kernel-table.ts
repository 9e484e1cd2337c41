// The kernel hardening tables of image/README.md, read as data: the unit test checks them against
// image/cmdline and the sysctl file, the image test against the shipped kernel's configuration.
import { readFileSync } from 'node:fs';

export interface Row {
  /** The first column's code span: what KSPP recommends, `name=value`, `name` or `CONFIG_X`. */
  setting: string;
  /** The middle columns, code spans unwrapped. */
  cells: string[];
  why: string;
}

const unquote = (cell: string) => cell.replace(/`/g, '').trim();

/** The rows of the first table after the heading `heading` (a `###` line) in `markdown`. */
export function tableAfter(markdown: string, heading: string): Row[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trim() === heading);
  if (start < 0) throw new Error(`no heading "${heading}"`);
  const rows: Row[] = [];
  let inTable = false;
  for (const line of lines.slice(start + 1)) {
    if (/^#{1,3} /.test(line)) break;
    if (!line.startsWith('|')) {
      if (inTable) break;
      continue;
    }
    inTable = true;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    if (/^-+$/.test(cells[0]?.replace(/:/g, '') ?? '')) continue; // the separator line
    // The setting is the first code span; a note after it, e.g. "(not KSPP)", says where it is from.
    const setting = /`([^`]+)`/.exec(cells[0] ?? '')?.[1] ?? unquote(cells[0] ?? '');
    rows.push({ setting, cells: cells.slice(1, -1).map(unquote), why: cells.at(-1) ?? '' });
  }
  return rows.slice(1); // the header
}

export const readme = (root: URL) => readFileSync(new URL('image/README.md', root), 'utf8');

/** A setting is a sysctl when it is a dotted key under one of the sysctl trees. */
export const isSysctl = (setting: string) => /^(kernel|vm|fs|net|dev|user)\.[\w.]+=/.test(setting);

/**
 * The state column of the command-line and sysctl table: `on` (as KSPP says), `on as X` (X
 * instead), `default` (the kernel already does it, nothing written), `off` (left out, see why), `n/a`
 * (not in this kernel).
 */
export function state(cell: string): { kind: 'on' | 'default' | 'off' | 'n/a'; instead?: string } {
  const m = /^(on as|on|default|off|n\/a)\b\s*(\S+)?/.exec(cell);
  if (!m) throw new Error(`unknown state "${cell}"`);
  if (m[1] === 'on as') return { kind: 'on', instead: m[2] };
  return { kind: m[1] as 'on' | 'default' | 'off' | 'n/a' };
}
