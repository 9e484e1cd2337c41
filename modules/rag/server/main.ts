/**
 * Entry point of the rag service container, and (the same file, in a worker thread) its document
 * parser. Configuration from the environment the services layer sets (see ../README.md); the used
 * modules' sockets and token files from the wiring's BLUEPRINT_USES_* variables.
 */
import { unlink } from 'node:fs/promises';
import { availableParallelism, hostname } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import {
  createLog,
  drainOnSignals,
  intFromEnv,
  readAccessToken,
  serveJobs,
  startPool,
} from '../../kit/server/index.js';
import { createRagServer } from './api.js';
import { Embedder, VectorIndex } from './backends.js';
import { DEFAULT_PARSE_MARGIN, parseBudget } from './budget.js';
import { type ChunkOptions, chunkSections } from './chunk.js';
import { moduleName, vectorsName } from './names.js';
import { DEFAULT_MAX_PDF_DECODED_MB, type DocumentKind, ParseError, parseDocument } from './parse.js';
import { poolHealth } from './parse-health.js';
import { parseIn, SMALL_DECODED_MB } from './parse-lanes.js';
import { ParseLine } from './parse-line.js';
import { type ParsedChunks, Rag } from './rag.js';
import { Store } from './store.js';
import { Upstream, upstreamFromEnv } from './upstream.js';

/** The parse worker's settings. */
interface WorkerData {
  maxPages: number;
  /** MiB the streams of one PDF may decode to (parse.ts, PDF_BUDGET). */
  maxDecodedMb: number;
  /** A document's parse budget (budget.ts): RAG_PARSE_MARGIN × its measured cost, at most this. */
  parseTimeoutS: number;
  parseMargin: number;
  /** RAG_MAX_CHUNKS: the worker refuses a document as it makes the chunk past it (chunk.ts). */
  maxChunks: number;
}

const log = createLog({
  name: 'rag',
  recordEveryBytes: intFromEnv('KIT_LOG_RECORD_EVERY_BYTES', 1024 * 1024),
});

/** Retries recovery until the vectors module answers (it may start after us, or restart). */
function recoverInBackground(rag: Rag): void {
  let told = false;
  const attempt = () =>
    rag.recover().then(
      (n) => {
        log(`recovery: ${n} unfinished document operations cleaned up`);
        // Then chunks of documents rag does not know (writes that landed after a rollback): sweep.ts.
        rag
          .sweep()
          .catch((err: Error) => log(`sweep: not done (${err.message}); the next start tries again`));
      },
      (err: Error) => {
        if (!told) log(`recovery waits for the vectors module: ${err.message}`);
        told = true;
        setTimeout(attempt, 2000).unref();
      },
    );
  attempt();
}

async function main(): Promise<void> {
  const env = process.env;
  const socketPath = env.BLUEPRINT_SOCKET ?? env.RAG_SOCKET ?? '/run/rag/api.sock';
  const dataDir = env.RAG_DATA_DIR ?? '/var/lib/rag/db';
  const timeout = intFromEnv('RAG_UPSTREAM_TIMEOUT_MS', 60_000);
  const embeddings = new Upstream(upstreamFromEnv('embeddings', timeout));
  const vectors = new Upstream(upstreamFromEnv('vectors', timeout));
  const llm = new Upstream(upstreamFromEnv('llm', intFromEnv('RAG_LLM_TIMEOUT_MS', 300_000)));
  const maxPages = intFromEnv('RAG_MAX_PDF_PAGES', 2000);
  const maxDecodedMb = intFromEnv('RAG_MAX_PDF_DECODED_MB', DEFAULT_MAX_PDF_DECODED_MB);
  const parseTimeoutS = intFromEnv('RAG_PARSE_TIMEOUT_S', 300);
  const parseMargin = intFromEnv('RAG_PARSE_MARGIN', DEFAULT_PARSE_MARGIN);
  const maxChunks = intFromEnv('RAG_MAX_CHUNKS', 20_000);
  const workerFile = new URL(import.meta.url);
  // A second, small worker for small documents where there are two cores (parse-lanes.ts). Its
  // heap and PDF decode cap come out of the large worker's decode cap, so the two together hold
  // what one did (512 MiB of heap and 256 of pdf.js buffers, in a 1 GiB container).
  const smallS = Math.min(parseTimeoutS, intFromEnv('RAG_SMALL_PARSE_S', 30));
  const two = intFromEnv('RAG_PARSE_WORKERS', availableParallelism() >= 2 ? 2 : 1) >= 2;
  const smallHeapMb = intFromEnv('RAG_SMALL_WORKER_HEAP_MB', 96);
  const smallDecodedMb = Math.min(maxDecodedMb, SMALL_DECODED_MB);
  const largeDecodedMb = two ? Math.max(64, maxDecodedMb - smallHeapMb - smallDecodedMb) : maxDecodedMb;
  const pool = await startPool<WorkerData, Record<string, never>>({
    file: workerFile,
    data: { maxPages, maxDecodedMb: largeDecodedMb, parseTimeoutS, parseMargin, maxChunks },
    // marked and htmlparser2 take minutes on some hostile documents (deep nesting): the parse
    // worker would be held that long, every other ingest waiting behind it. The worker ends a parse
    // at the document's own budget (budget.ts), most far sooner; this stops the worker itself, for
    // what the worker's own checks cannot end (pdf.js in one long synchronous stretch).
    jobTimeoutMs: parseTimeoutS * 1000,
    log,
    resourceLimits: { maxOldGenerationSizeMb: intFromEnv('RAG_WORKER_HEAP_MB', 512) },
  });
  const smallPool = two
    ? await startPool<WorkerData, Record<string, never>>({
        file: workerFile,
        // Its documents are chosen by budget (at most smallS), so their budgets are the same here.
        data: { maxPages, maxDecodedMb: smallDecodedMb, parseTimeoutS, parseMargin, maxChunks },
        // Its documents' budgets are at most smallS; twice that for what the worker cannot end.
        jobTimeoutMs: Math.min(parseTimeoutS, 2 * smallS) * 1000,
        log: (line) => log(`small parse worker: ${line}`),
        resourceLimits: { maxOldGenerationSizeMb: smallHeapMb },
      })
    : undefined;
  // Each worker's line takes turns between clients and drops parses whose client left.
  const concurrency = intFromEnv('RAG_CONCURRENCY', 4);
  const maxQueued = intFromEnv('RAG_MAX_QUEUE', 32);
  const line = new ParseLine(maxQueued);
  const parse = parseIn({
    large: { line, pool },
    small: smallPool && { line: new ParseLine(maxQueued), pool: smallPool },
    smallS,
    parseTimeoutS,
    parseMargin,
    log,
  });
  // Which rag this is (its module's name): the vectors collections it makes are named from it, so
  // two rags on one vectors keep to their own (names.ts); those it made are recorded (store.ts).
  const self = moduleName(env, hostname(), vectors.config.socket);
  const store = await Store.open(dataDir, (c) => vectorsName(self, c));
  const rag = new Rag({
    store,
    embedder: new Embedder(embeddings),
    index: new VectorIndex(vectors, (c) => store.vectorsName(c), self),
    llm,
    parse,
    log,
    config: {
      chunkTokens: intFromEnv('RAG_CHUNK_TOKENS', 256),
      chunkOverlap: intFromEnv('RAG_CHUNK_OVERLAP', 32),
      maxChunks,
      batch: intFromEnv('RAG_BATCH', 32),
      sweepAfterMs: intFromEnv('RAG_SWEEP_AFTER_MS', timeout),
    },
  });
  const kit = createRagServer(rag, {
    log,
    token: await readAccessToken(env.RAG_TOKEN_FILE, log),
    // A worker's restart makes rag unhealthy only when it lasts (parse-health.ts).
    healthy: (
      (large, small) => () =>
        large() && small()
    )(poolHealth(pool), smallPool ? poolHealth(smallPool) : () => true),
    upstreams: [embeddings, vectors, llm],
    streamIdleMs: intFromEnv('RAG_LLM_TIMEOUT_MS', 300_000),
    timingClock: env.RAG_TIMING_CLOCK === '1',
    limits: {
      maxBodyBytes: intFromEnv('RAG_MAX_BODY_BYTES', 32 * 1024 * 1024),
      maxBodySetting: 'RAG_MAX_BODY_BYTES', // named in the 413 (`blueprint service config`)
      maxBufferedBytes: intFromEnv('RAG_MAX_BUFFERED_BYTES', 96 * 1024 * 1024),
      concurrency,
      maxQueued,
    },
  });
  await kit.listen(socketPath);
  log.startup(`serving the rag API on ${socketPath}, data in ${dataDir}`);
  log.startup(
    `uses embeddings at ${embeddings.config.socket}, vectors at ${vectors.config.socket} (collections ${vectorsName(self, 'NAME')}), llm at ${llm.config.socket}`,
  );
  const l = kit.limits;
  log.startup(
    `limits: ${l.maxBodyBytes} bytes a document, ${maxPages} PDF pages (their streams decoding to ${largeDecodedMb} MiB), ${parseTimeoutS} s at most to parse a document (${parseMargin} × its measured cost), ${rag.config.maxChunks} chunks a document, ${concurrency} requests at once (${maxQueued} waiting, ${line.capacity} documents waiting to be parsed), ${smallPool ? `a second parse worker (${smallHeapMb} MiB of heap, PDFs decoding to ${smallDecodedMb} MiB) for documents whose budget is at most ${smallS} s` : 'one parse worker'}`,
  );
  recoverInBackground(rag);
  drainOnSignals(kit, log, 15_000, async () => {
    log.flush();
    await unlink(socketPath).catch(() => undefined);
    await Promise.all([pool.close(), smallPool?.close()]);
  });
}

if (!isMainThread) {
  serveJobs<WorkerData, Record<string, never>>(async (data) => ({
    ready: {},
    handle: async (p): Promise<ParsedChunks> => {
      const { kind, bytes, chunking } = p as {
        kind: DocumentKind;
        bytes: Uint8Array;
        chunking: ChunkOptions | undefined;
      };
      // Timed from here, in the worker: a document's wait in the queue is not its parse.
      const time = parseBudget(
        kind,
        bytes.byteLength,
        data.parseTimeoutS,
        data.parseMargin,
        (m) => new ParseError(413, m),
      );
      const parsed = await parseDocument(kind, bytes, data.maxPages, data.maxDecodedMb, time);
      // Chunked here too, off the event loop (rag.ts, ParseFn), and refused here past
      // RAG_MAX_CHUNKS, so the main thread is never sent more. Without options (the embeddings
      // module did not answer) only the parse counted: its sections are not sent back.
      return {
        chunks: chunking ? chunkSections(parsed.sections, { ...chunking, maxChunks: data.maxChunks }) : [],
        pages: parsed.pages,
        kind: parsed.kind ?? kind,
      };
    },
  }));
} else {
  main().catch((err: unknown) => {
    log(`cannot start: ${(err as Error).message}`);
    process.exit(1);
  });
}
