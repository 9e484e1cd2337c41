/**
 * How long one document may take to parse: a budget that grows with its size, so a small hostile
 * document (a 5 KB PDF of forms drawing forms, 500 KB of Markdown `_a`) is stopped within seconds
 * while a long PDF still gets the minutes it needs. RAG_PARSE_TIMEOUT_S caps every budget, and
 * stays the pool's deadline behind this one (main.ts).
 *
 * The costs are the slowest legitimate documents measured on the machine the module is developed
 * on (2 cores shared with others, Node 24, the parse worker's code; README.md, "Parse budget"),
 * multiplied by RAG_PARSE_MARGIN (10): a slower or busier machine, or a denser document than any
 * measured, still fits. The base covers a fresh worker's first document (pdf.js loads then).
 * Large documents (4–16 MiB, README.md "Parse budget") were measured too and stay under these
 * figures by about 10× (generated nested-list Markdown by 6×), so they are kept; for PDF that is
 * why 4 MiB gets the full 300 s: dense text costs ~6 s a MiB there.
 */
import vm from 'node:vm';
import type { DocumentKind } from './parse.js';

interface Cost {
  /** Seconds for a short document. */
  baseS: number;
  /** Seconds per MiB of upload. */
  perMibS: number;
}

export const PARSE_COSTS: Record<DocumentKind, Cost> = {
  // pdf.js: libtasn1.pdf (257 KB, 36 pages) 1.5 s with pdf.js's load; a text book of 2,000 pages
  // (2.9 MiB, Flate, kerned lines) 6.6 s/MiB, libtasn1 6.0 s/MiB, PDFs with pictures 0.3–1.9.
  pdf: { baseS: 1.5, perMibS: 7 },
  // marked: node_modules' 438 READMEs and changelogs 0.43 s/MiB together, the slowest one 2.2 s/MiB.
  markdown: { baseS: 0.5, perMibS: 2.2 },
  // htmlparser2: /usr/share/doc's 242 pages (22 MiB) 0.08 s/MiB together, the slowest 0.65.
  html: { baseS: 0.5, perMibS: 0.7 },
  // Paragraph splitting: 0.02–0.04 s/MiB, the slowest short document 0.84 (the JIT not warm yet).
  text: { baseS: 0.5, perMibS: 0.9 },
  // htmlparser2 on the XML inside (parse-office.ts): pandoc's .docx and .odt of 3 MB of node_modules'
  // READMEs (0.9 and 0.8 MiB, 13.7 and 12 MiB of XML) 0.44–0.84 s/MiB, loaded or not; a short one 30 ms.
  docx: { baseS: 0.5, perMibS: 0.9 },
  odt: { baseS: 0.5, perMibS: 0.9 },
};

export const DEFAULT_PARSE_MARGIN = 10;

export interface ParseBudget {
  ms: number;
  /** The 413 for a document past it. */
  late(): Error;
}

const MiB = 1024 * 1024;

export function parseBudget(
  kind: DocumentKind,
  size: number,
  capS: number,
  margin: number,
  refuse: (message: string) => Error,
): ParseBudget {
  const c = PARSE_COSTS[kind];
  const s = Math.min(capS, margin * (c.baseS + (c.perMibS * size) / MiB));
  const mib = (size / MiB).toFixed(2);
  return {
    ms: Math.ceil(s * 1000),
    late: () =>
      refuse(
        `the document took longer than ${s.toFixed(1)} s to parse, the time a ${kind} document of ${mib} MiB gets here (RAG_PARSE_MARGIN ${margin} × (${c.baseS} s + ${c.perMibS} s a MiB), at most RAG_PARSE_TIMEOUT_S, ${capS} s): split it or simplify it`,
      ),
  };
}

let context: vm.Context | undefined;
const call = new vm.Script('run()');

/**
 * `fn`, synchronous, stopped when `budget` has passed. marked and htmlparser2 run to the end once
 * started, and nothing else runs on the thread meanwhile: node's vm watchdog terminates whatever
 * JavaScript runs when its time is up (the parsers here included, though their code is not the
 * context's), and the parse worker goes on to the next document instead of being stopped and
 * started again at RAG_PARSE_TIMEOUT_S. The parsers' state is per call (a new Lexer, a new Parser).
 */
export function syncWithin<T>(budget: ParseBudget, fn: () => T): T {
  context ??= vm.createContext({ run: undefined });
  context.run = fn;
  try {
    return call.runInContext(context, { timeout: Math.max(1, budget.ms) }) as T;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw budget.late();
    throw err;
  } finally {
    context.run = undefined;
  }
}
