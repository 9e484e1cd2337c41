/**
 * Which parse worker a document goes to. A document's parse budget goes by its size (budget.ts), so
 * a PDF padded to ~4 MiB gets ~295 s whatever it holds, and with one worker every other client's
 * document waited for it: the line's turns (parse-line.ts) bound the wait by the longest budget,
 * and a size cannot tell padding from text (a 2,000-page book needs its minutes).
 *
 * So where the machine has two cores, documents whose budget is at most RAG_SMALL_PARSE_S (30 s:
 * a text file to ~2.7 MiB, Markdown ~1.1 MiB, HTML ~3.6 MiB, a PDF ~200 KB) go to a second, small
 * worker with its own line, taking turns by client too: another client's small document then waits
 * for at most one small budget, whatever the large worker holds (test/security/rag-parse-lanes).
 * Its memory comes out of the large worker's: RAG_SMALL_WORKER_HEAP_MB (96) of heap and at most
 * 32 MiB of PDF streams decoded, taken from the large worker's decode cap (RAG_MAX_PDF_DECODED_MB,
 * 256, then 128; main.ts), so the two hold what one did: 768 MiB. A small document that
 * needs more (its streams over 32 MiB, or the small worker's heap) is parsed again in the large
 * worker, in its turn there: never refused for the lane it was given.
 */
import { HttpError, JobTimeoutError, type Pool, WorkerJobError } from '../../kit/server/index.js';
import { parseBudget } from './budget.js';
import type { ChunkOptions } from './chunk.js';
import type { DocumentKind } from './parse.js';
import type { ParseLine } from './parse-line.js';
import type { ParsedChunks } from './rag.js';

export interface Lane {
  line: ParseLine;
  pool: Pool<unknown>;
}

export interface Lanes {
  large: Lane;
  /** Absent on one core (RAG_PARSE_WORKERS 1). */
  small?: Lane;
  /** The largest budget (s) a document of the small lane has. */
  smallS: number;
  parseTimeoutS: number;
  parseMargin: number;
  log(line: string): void;
}

/** The small worker's PDF decode cap (MiB): its share of the container's memory. */
export const SMALL_DECODED_MB = 32;

/** The small lane could not finish it for want of memory it does not have: the large one may. */
function needsLarge(err: unknown): boolean {
  if (err instanceof WorkerJobError)
    return err.name === 'ParseError' && /RAG_MAX_PDF_DECODED_MB/.test(err.message);
  // The small worker died (its heap) and is restarting: the pool's 503 for the job it had.
  return err instanceof HttpError && err.status === 503 && /the worker stopped/.test(err.message);
}

function asHttp(err: unknown, parseTimeoutS: number): unknown {
  if (err instanceof WorkerJobError && err.name === 'ParseError')
    return new HttpError(Number(err.fields.status) || 400, err.message);
  if (err instanceof JobTimeoutError)
    return new HttpError(
      413,
      `the document took longer than ${parseTimeoutS} s to parse (RAG_PARSE_TIMEOUT_S): split it or simplify it`,
    );
  return err;
}

export function parseIn(lanes: Lanes) {
  const { large, small } = lanes;
  const isSmall = (kind: DocumentKind, size: number) =>
    parseBudget(kind, size, lanes.parseTimeoutS, lanes.parseMargin, (m) => new Error(m)).ms <=
    lanes.smallS * 1000;
  return async (
    kind: DocumentKind,
    bytes: Uint8Array,
    client: unknown,
    signal: AbortSignal,
    chunking: ChunkOptions | undefined,
  ): Promise<ParsedChunks> => {
    const run = (lane: Lane) =>
      lane.line.run(client, () => lane.pool.run({ kind, bytes, chunking }), signal) as Promise<ParsedChunks>;
    if (small && isSmall(kind, bytes.byteLength)) {
      try {
        return await run(small);
      } catch (err) {
        if (!needsLarge(err)) throw asHttp(err, lanes.parseTimeoutS);
        lanes.log(
          `a ${kind} document of ${bytes.byteLength} bytes needs the large parse worker: ${(err as Error).message}`,
        );
      }
    }
    try {
      return await run(large);
    } catch (err) {
      throw asHttp(err, lanes.parseTimeoutS);
    }
  };
}
