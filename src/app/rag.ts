/**
 * The `rag` module's API as operations (`blueprint rag ...`, and any front end): send files or
 * folders to be indexed, ask a question and get the answer (streamed) with its sources, list and
 * remove documents. It speaks the contract of modules/rag/README.md through the module's socket
 * (module-api.ts); files are found and read by core (system/walk.ts: a folder's links may not lead
 * out of it, each file read once).
 *
 * What the module answers is untrusted: shapes are checked here, text is escaped by front ends.
 */
import { BlueprintError, InterruptedError, NotFoundError, UsageError } from '../core/errors.js';
import { shellWord } from '../core/system/shell-word.js';
import type { FoundFile } from '../core/system/walk.js';
import type { BoxContext } from './context.js';
import { type ModuleApi, ModuleApiError, openModuleApi } from './module-api.js';
import { documentByIdStart, noDocumentHint, unlikeAnyId, wholeDocument } from './rag-ids.js';
import {
  bad,
  type IngestReport,
  type IngestResult,
  messageOf,
  num,
  query,
  type RagAnswer,
  type RagDocument,
  type RagSource,
  sourceOf,
  str,
  toDocument,
  toSources,
} from './rag-shapes.js';

/** The file types the rag module takes, by extension, and the media type each is sent as. */
export const RAG_TYPES: Readonly<Record<string, string>> = {
  '.txt': 'text/plain',
  '.md': 'text/markdown',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.pdf': 'application/pdf',
  // Which of the two a zip is, the module reads from its content (a .docx named .odt still reads).
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.odt': 'application/vnd.oasis.opendocument.text',
};

/** A file larger than this is not sent (the module refuses large bodies too, with 413). */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

export interface RagTarget {
  /** The installed rag module to talk to (default `rag`). */
  service?: string;
  signal?: AbortSignal;
}

export type { IngestReport, IngestResult, RagAnswer, RagDocument, RagSource } from './rag-shapes.js';

export interface RagOps {
  /**
   * Sends each file named, and the .txt .md .html .htm .pdf .docx .odt files below each folder named (links
   * that lead out of a folder refused), one request per file. A failure is reported for that file
   * (`onFile`, and in the report) and the rest continue; ConnectionErrors (module not running)
   * and an interrupt stop the whole run.
   */
  ingest(
    paths: string[],
    opts?: RagTarget & {
      collection?: string;
      /** A file read and on its way to the module (whose answer comes once it is indexed). */
      onSending?: (file: { name: string; bytes: number }) => void;
      onFile?: (r: IngestResult) => void;
    },
  ): Promise<IngestReport>;
  /** Asks a question: retrieval + the llm module's answer with its sources; `onText` gets it as it streams. */
  ask(
    question: string,
    opts?: RagTarget & {
      k?: number;
      collection?: string;
      /** Only the chunks of documents with this source (as `list` shows it), or of this document id. */
      source?: string;
      document?: string;
      maxTokens?: number;
      stream?: boolean;
      onText?: (text: string) => void;
      onSources?: (sources: RagSource[]) => void;
    },
  ): Promise<RagAnswer>;
  list(opts?: RagTarget & { collection?: string }): Promise<RagDocument[]>;
  /**
   * Removes a document and its chunks. An id that no document's is or begins with (removed
   * already, meanwhile, never there) is nothing to do: `removed: false`, as `bpkg remove` of a
   * package not installed; several ids beginning so: exit 2, nothing removed.
   */
  remove(id: string, opts?: RagTarget): Promise<{ id: string; chunks: number; removed: boolean }>;
}

/**
 * The most of an answer kept, in characters: a streamed answer comes as events, each bounded
 * (module-api.ts MAX_EVENT) but not their sum, so a module that never stopped writing grew the
 * admin's process without end. The longest answer `rag ask --max-tokens` allows (1,000,000 tokens,
 * some 4 Mi characters) fits.
 */
export const MAX_ANSWER_CHARS = 16 * 1024 * 1024;

export function ragOps(ctx: BoxContext): RagOps {
  const api = (t: RagTarget = {}) => openModuleApi(ctx.root, t.service ?? 'rag');
  const signalOf = (t: RagTarget) => t.signal ?? ctx.options.signal;
  const ops: RagOps = {
    async ingest(paths, opts = {}) {
      const { collectFiles, mib, readFound } = await import('../core/system/walk.js');
      // `… | blueprint rag ingest -`: a file is sent with its name and type; standard input has neither.
      if (paths.includes('-'))
        throw new UsageError(
          'rag ingest - : standard input is not read',
          `Save the text to a file and name it: blueprint rag ingest notes.txt (${Object.keys(RAG_TYPES).join(' ')}).`,
        );
      const client = await api(opts);
      const signal = signalOf(opts);
      const { files, refused, ...passed } = await collectFiles(paths, Object.keys(RAG_TYPES));
      // Folders of .doc only (or empty): '0 indexed, 0 failed' read as if the documents were in.
      if (!files.length && !refused.length) {
        const types = Object.keys(RAG_TYPES).join(' ');
        throw new NotFoundError(
          `No ${types} file in ${paths.join(', ')}`,
          `rag ingest reads these types only: save the documents as one of them (an old .doc as .docx, say), or name the folder that holds them.`,
        );
      }
      // Named paths none of which can be sent (report.doc, a mistyped path): nothing goes to the
      // module, which a '0 indexed, 1 failed' summary and exit 1 (a failure of sending) hid.
      const otherType = (r: { error: BlueprintError }) => r.error.code === 'usage';
      if (!files.length && refused.every((r) => otherType(r) || r.error.code === 'not-found')) {
        const types = Object.keys(RAG_TYPES).join(' ');
        const why = refused.map((r) =>
          otherType(r) ? `${r.name}: not a type rag ingest reads (${types})` : r.error.message,
        );
        const others = refused.filter(otherType).length;
        const gone = refused.length > others;
        throw new NotFoundError(
          why.length === 1 ? why[0]! : `Nothing to send: ${why.join('; ')}`,
          others
            ? `Save ${others === 1 ? 'it' : 'them'} as one of these types (an old .doc as .docx, say), or name the folder that holds them${gone ? '; check the paths that are not there' : ''}. Nothing was sent.`
            : 'Nothing was sent. Check the path (a relative one is read from the current folder).',
        );
      }
      const report: IngestReport = { files: [], ingested: 0, duplicates: 0, failed: 0, ...passed };
      // A file sent again with new content is a second document, the old one still answering: the
      // collection's documents are listed once, after the first one indexed, to name it (best effort).
      let listed: Promise<RagDocument[] | undefined> | undefined;
      const withEarlier = async (r: IngestResult): Promise<IngestResult> => {
        if (r.status !== 'ingested') return r;
        listed ??= ops.list({ ...opts, collection: r.document.collection }).catch(() => undefined);
        const same = (await listed)?.filter((d) => d.source === r.document.source && d.id !== r.document.id);
        return same?.length ? { ...r, earlier: same } : r;
      };
      const add = (r: IngestResult) => {
        report.files.push(r);
        if (r.status === 'failed') report.failed++;
        else if (r.status === 'duplicate') report.duplicates++;
        else report.ingested++;
        opts.onFile?.(r);
      };
      const failed = (name: string, err: unknown): IngestResult => {
        let e =
          err instanceof BlueprintError
            ? err
            : new BlueprintError(String((err as Error)?.message ?? err), 'io');
        // The module's 413 ('request body over 33554432 bytes'): its limit in MiB, and in the hint.
        const limit = e.code === 'module-too-large' ? /over (\d+) bytes/.exec(e.message)?.[1] : undefined;
        if (limit)
          e = new BlueprintError(
            e.message.replace(`${limit} bytes`, mib(Number(limit))),
            e.code,
            `Split it into files of at most ${mib(Number(limit))} (${client.name} takes no larger ones).`,
            e.exitCode,
          );
        return {
          name,
          status: 'failed',
          error: { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) },
        };
      };
      for (const r of refused) add(failed(r.name, r.error));
      // Ctrl-C: the files before are in the index, the one being sent is the module's to finish
      // or drop whole; the admin is told so, not that nothing changed.
      const interrupted = (sending?: string) => {
        const d = report.duplicates;
        return new InterruptedError(
          `Interrupted after ${report.files.length} of ${refused.length + files.length} files: ${report.ingested} indexed, ${d} duplicate${d === 1 ? '' : 's'}, ${report.failed} failed`,
          `${sending ? `${sending} was being sent: it is indexed whole or not at all. ` : ''}Run the same command again: what is indexed already is passed over.`,
        );
      };
      for (const file of files) {
        if (signal?.aborted) throw interrupted();
        try {
          add(
            await withEarlier(
              await sendFile(client, file, opts.collection, signal, readFound, opts.onSending),
            ),
          );
        } catch (err) {
          // The module down, or Ctrl-C: the next file would fail the same way.
          if (err instanceof InterruptedError || signal?.aborted) throw interrupted(file.name);
          if (
            err instanceof BlueprintError &&
            /^module-(not-running|not-permitted|connection)$/.test(err.code)
          )
            throw err;
          // A module rag uses is down (its 503 names it): every next file would fail the same way.
          if (
            err instanceof ModuleApiError &&
            err.status === 503 &&
            / module is unavailable\b/.test(err.message)
          ) {
            const total = refused.length + files.length;
            const { ingested: i, duplicates: d, failed: f } = report;
            throw new BlueprintError(
              `${file.name}: ${err.message}; stopped: ${report.files.length + 1} of ${total} files tried (${i} indexed, ${d} duplicate${d === 1 ? '' : 's'}, ${f + 1} failed)`,
              err.code,
              `${err.hint ?? ''} Then run the same command again: what is indexed already is passed over.`.trim(),
              err.exitCode,
            );
          }
          add(failed(file.name, err));
        }
      }
      return report;
    },

    async ask(question, opts = {}) {
      const client = await api(opts);
      // --document as people copy it: the whole id, or a start of it no other id begins with.
      const document =
        opts.document === undefined
          ? undefined
          : await wholeDocument(client, opts.document, {
              ...(opts.collection === undefined ? {} : { collection: opts.collection }),
              signal: signalOf(opts),
            });
      const body = {
        messages: [{ role: 'user', content: question }],
        stream: opts.stream ?? false,
        ...(opts.k === undefined ? {} : { k: opts.k }),
        ...(opts.collection === undefined ? {} : { collection: opts.collection }),
        ...(opts.maxTokens === undefined ? {} : { max_tokens: opts.maxTokens }),
        // --source / --document (undefined ones are left out of the JSON).
        ...((opts.source ?? document) ? { filter: { source: opts.source, document: document?.id } } : {}),
      };
      let answer = '';
      let sources: RagSource[] | undefined;
      let finishReason: string | null = null;
      const signal = signalOf(opts);
      const r = await client
        .request<Record<string, unknown>>('POST', '/v1/chat/completions', {
          body,
          ...(signal ? { signal } : {}),
          onEvent: (data) => {
            if (data === '[DONE]') return;
            let chunk: Record<string, unknown>;
            try {
              chunk = JSON.parse(data) as Record<string, unknown>;
            } catch {
              bad(client, 'a stream event');
            }
            if (chunk.error)
              throw new ModuleApiError(client.name, 200, messageOf(chunk.error), 'module-error');
            if (sources === undefined && chunk.sources !== undefined) {
              sources = toSources(client, chunk.sources);
              opts.onSources?.(sources);
            }
            const choice = (chunk.choices as Record<string, unknown>[] | undefined)?.[0];
            const delta = (choice?.delta as { content?: unknown } | undefined)?.content;
            if (str(delta) && delta) {
              if (answer.length + delta.length > MAX_ANSWER_CHARS)
                throw new ModuleApiError(
                  client.name,
                  200,
                  `answered more than ${MAX_ANSWER_CHARS} characters; the rest was not read`,
                  'module-bad-answer',
                );
              answer += delta;
              opts.onText?.(delta);
            }
            if (str(choice?.finish_reason)) finishReason = choice.finish_reason;
          },
        })
        .catch((err: unknown) => {
          // The question over the module's length (413, "'messages' is longer than N characters":
          // the API's parameter): said as the question, not as a file to make smaller.
          const long =
            err instanceof ModuleApiError && err.status === 413
              ? /longer than (\d+) characters/.exec(err.message)
              : null;
          if (long)
            throw new BlueprintError(
              `${client.name}: the question is longer than ${long[1]} characters`,
              'question-too-long',
              `Ask a shorter question: ${client.name} searches the documents for the question as it is, at most ${long[1]} characters of it.`,
              (err as ModuleApiError).exitCode,
            );
          // The question's options refused (400): the module says which; this, what to change.
          if (!(err instanceof ModuleApiError && err.status === 400 && !err.hint)) throw err;
          throw new BlueprintError(
            err.message,
            err.code,
            /\bcontext\b/.test(err.message)
              ? "The model's context holds the question, the chunks found (--k) and the answer (--max-tokens): ask for fewer of either."
              : 'Change the option it names; `blueprint rag ask --help` lists them.',
            err.exitCode,
          );
        });
      if (r.body !== undefined) {
        // A whole answer (stream false, or a server that does not stream).
        const choice = (r.body.choices as Record<string, unknown>[] | undefined)?.[0];
        const content = (choice?.message as { content?: unknown } | undefined)?.content;
        if (!str(content)) bad(client, 'a chat completion');
        answer = content;
        finishReason = str(choice?.finish_reason) ? choice.finish_reason : null;
        sources = toSources(client, r.body.sources);
        opts.onSources?.(sources);
        opts.onText?.(content);
      }
      return { answer, sources: sources ?? [], finishReason };
    },

    async list(opts = {}) {
      const client = await api(opts);
      const signal = signalOf(opts);
      const r = await client.request<{ documents?: unknown }>(
        'GET',
        `/v1/documents${query({ collection: opts.collection })}`,
        {
          ...(signal ? { signal } : {}),
        },
      );
      if (!Array.isArray(r.body?.documents)) bad(client, 'the document list');
      return r.body.documents.map((d) => toDocument(client, d));
    },

    async remove(id, opts = {}) {
      const client = await api(opts);
      const signal = signalOf(opts);
      if (signal?.aborted) throw new InterruptedError(); // nothing sent: nothing changed
      const del = (whole: string) =>
        client
          .request<{ chunks?: unknown }>('DELETE', `/v1/documents/${encodeURIComponent(whole)}`, {
            ...(signal ? { signal } : {}),
          })
          .then((r) => ({ id: whole, chunks: num(r.body?.chunks) ? r.body.chunks : 0, removed: true }))
          .catch((err: unknown) => {
            // Ctrl-C once the request was on its way: the module may have removed it already.
            if (err instanceof InterruptedError || signal?.aborted)
              throw new InterruptedError(
                `Interrupted while removing ${whole}`,
                // `whole` may be the module's id (the one a start resolved to): one shell word.
                `The request may have reached ${client.name}: \`blueprint rag list\` shows whether ${whole} is still there; \`blueprint rag remove ${shellWord(whole)}\` again removes it if so.`,
              );
            throw err;
          });
      return del(id).catch(async (err: unknown) => {
        // An id it does not know: perhaps the start of one (the list's first column copied short,
        // as git and Docker take ids), then removed by its whole id; else said with where ids are.
        if (!(err instanceof ModuleApiError && err.status === 404 && !err.hint)) throw err;
        const docs = await ops.list(opts).catch(() => undefined);
        const absent = (whole: string) => ({ id: whole, chunks: 0, removed: false });
        // Several: said by documentByIdStart (named). None: nothing to do, as removing it again.
        const d =
          docs && id
            ? (() => {
                try {
                  return documentByIdStart(client.name, docs, id);
                } catch (e) {
                  if (e instanceof NotFoundError) return null;
                  throw e;
                }
              })()
            : undefined;
        // An id with a character no id `rag list` shows has (a look-alike letter, a zero-width or
        // trailing space): not the document's absence, which it would read as (the one meant may be
        // there still), but refused with those characters named.
        if (d === null && unlikeAnyId(id))
          throw new NotFoundError(
            `${client.name}: no document ${id}: it holds ${unlikeAnyId(id)}, which no document id has; nothing removed`,
            noDocumentHint(id),
          );
        if (d === null) return absent(id);
        if (d && d.id !== id)
          return del(d.id).catch((again: unknown) => {
            // Gone since the list (removed meanwhile): nothing to do, said by its whole id.
            if (!(again instanceof ModuleApiError && again.status === 404)) throw again;
            return absent(d.id);
          });
        // The real module's router answered a short id 'no route /v1/documents/…; try …' (its
        // API): said as the id unknown.
        throw new BlueprintError(
          / no route |: no document \S+: /.test(err.message)
            ? `${client.name}: no document ${id}`
            : err.message,
          err.code,
          noDocumentHint(id),
          err.exitCode,
        );
      });
    },
  };
  return ops;
}

async function sendFile(
  client: ModuleApi,
  file: FoundFile,
  collection: string | undefined,
  signal: AbortSignal | undefined,
  readFound: (f: FoundFile, max: number) => Promise<Buffer>,
  onSending?: (file: { name: string; bytes: number }) => void,
): Promise<IngestResult> {
  const bytes = await readFound(file, MAX_FILE_BYTES);
  onSending?.({ name: file.name, bytes: bytes.length });
  const r = await client.request<Record<string, unknown>>(
    'POST',
    `/v1/documents${query({ source: sourceOf(file.name), collection })}`,
    { body: bytes, contentType: RAG_TYPES[file.ext]!, ...(signal ? { signal } : {}) },
  );
  const document = toDocument(client, r.body);
  return { name: file.name, status: r.body.duplicate === true ? 'duplicate' : 'ingested', document };
}
