/**
 * `blueprint rag ingest|ask|list|remove`: the rag module from the command line, without writing
 * HTTP by hand.
 *
 * Why commands for this one module rather than a general "a module offers commands" mechanism:
 * such a mechanism would let a package's manifest decide what the admin's CLI does (which flags
 * mean what, which local files are read and sent where, what is printed) — a signed community
 * module steering a root process that can read every file on the box. Here the behaviour is code
 * reviewed with the program: which files a folder gives (core/system/walk.ts: no link out of it),
 * how each is read (once, no FIFO, no link), what is escaped. What is generic is underneath: the
 * socket client (app/module-api.ts, the module's socket and token as the services layer set them
 * up), so another module's commands (`llm chat`) are a small file like this one.
 */
import { type IngestResult, type RagDocument, type RagSource, UsageError } from '../../app/index.js';
import { escapeLine, escapeText } from '../../present/escape.js';
import { documentsTable, ingestLine, ingestSummary, ragRemovedText, sourcesText } from '../../present/rag.js';
import { shellWord, shownHint } from '../../present/root-in-hints.js';
import { bytes } from '../../present/units.js';
import { cliBox } from '../box.js';
import {
  type CommandGroup,
  type CommandSpec,
  type OptionSpec,
  optBool,
  optString,
  type Parsed,
  requirePositionals,
} from '../command.js';
import { type Context, slowNotice } from '../context.js';

const serviceOption: Record<string, OptionSpec> = {
  service: {
    type: 'string',
    value: 'NAME',
    description: 'The installed rag module to use (default: rag)',
  },
};
const collectionOption: Record<string, OptionSpec> = {
  collection: { type: 'string', value: 'C', description: 'The collection (default: the default collection)' },
};

const target = (ctx: Context, parsed: Parsed) => {
  const service = optString(parsed, 'service');
  const collection = optString(parsed, 'collection');
  return {
    signal: ctx.signal,
    ...(service ? { service } : {}),
    ...(collection !== undefined ? { collection } : {}),
  };
};

/** How often a file the module is still indexing is said again, after the first slow notice. */
const STILL_EVERY_MS = 30_000;

const whole = (parsed: Parsed, name: string, min: number, max: number): number | undefined => {
  const v = optString(parsed, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw new UsageError(`--${name} needs a whole number from ${min} to ${max}`);
  return Number(v);
};

const ingest: CommandSpec = {
  name: 'ingest',
  summary: 'Index files, and the .txt .md .html .htm .pdf .docx .odt files below folders (recursively)',
  args: 'PATH...',
  options: { ...collectionOption, ...serviceOption },
  details: `Each file is sent once, in name order; a line says what became of it: indexed (its id,
chunks and pages), already indexed (the same content is there: nothing sent twice), or failed
(why). A failure does not stop the others; a module rag uses being down (its 503 would come
for every file) stops the run there, saying how far it got. Links below a folder are followed
only to files inside it; a link on a path named is followed only in a folder no other user can
change (not /tmp, not another user's home). Files of other types in a folder are passed over (the
summary counts them and names their types); a file named on the command line must be of one of
these types.

Exit codes: 0 every file indexed or already there, 1 at least one failed (the rest were sent)
or a module rag uses is down (the run stopped there),
3 the module is not installed or the paths hold no file of these types or are not there
(nothing sent), 130 interrupted (the file being sent is indexed whole or not at all). With --json:
{files:[{name,status,document|error}], ingested, duplicates, failed, passedOver, passedOverTypes}.

Example: blueprint rag ingest ~/manuals notes.md --collection support`,
  async run(ctx, parsed) {
    const paths = requirePositionals(parsed, 1, 'a file or folder to ingest', 'blueprint rag ingest');
    // A large document takes the module a while (1.8 MB of text: 40 s on the demo box): the wait
    // for its answer says which file it is on once it runs past the slow-notice time.
    let slow: NodeJS.Timeout | undefined;
    let still: NodeJS.Timeout | undefined;
    const quietNow = () => {
      clearTimeout(slow);
      clearInterval(still);
    };
    const service = optString(parsed, 'service') ?? 'rag';
    const onSending = ({ name, bytes: n }: { name: string; bytes: number }) => {
      quietNow();
      if (ctx.json || ctx.quiet) return;
      const started = Date.now();
      // The file's name as its folder has it: one line, as its ingest line shows it.
      const shown = escapeLine(name);
      slow = setTimeout(() => {
        ctx.info(`${shown} (${bytes(n)}): being indexed by ${service}; a large document takes a while`);
        // The module says nothing until it is done (a minute and more): a line every 30 s that it is
        // still at work, so that a long wait is not taken for a hang.
        still = setInterval(
          () =>
            ctx.info(
              `${shown}: still being indexed by ${service}, ${Math.round((Date.now() - started) / 1000)} s so far`,
            ),
          STILL_EVERY_MS,
        );
      }, slowNotice.afterMs);
    };
    const report = await cliBox(ctx)
      .rag.ingest(paths, {
        ...target(ctx, parsed),
        onSending,
        onFile: (r: IngestResult) => {
          quietNow();
          if (ctx.json) return;
          if (r.status === 'failed') {
            ctx.stderr.write(`${escapeText(`error: ${ingestLine(r)}`)}\n`);
            if (r.error.hint) ctx.stderr.write(`${escapeText(`hint: ${shownHint(r.error.hint)}`)}\n`);
          } else {
            if (!ctx.quiet) ctx.stdout.write(`${escapeText(ingestLine(r))}\n`);
            if (r.status === 'ingested' && r.earlier?.length)
              ctx.warn(earlierNote(r.name, r.earlier, parsed));
          }
        },
      })
      .finally(quietNow);
    ctx.report(report, ingestSummary(report));
    return report.failed > 0 ? 1 : 0;
  },
};

/**
 * A changed file sent again is a second document: the earlier one (the same source) still answers.
 * Said with the command that removes it; the ids are the module's (one shell word each).
 */
function earlierNote(name: string, earlier: RagDocument[], parsed: Parsed): string {
  const service = optString(parsed, 'service');
  const on = service && service !== 'rag' ? ` --service ${shellWord(service)}` : '';
  // One line each: the file's name and the module's ids may hold a newline (warn keeps those), which
  // would start a line of their own ('error: …') at the margin (test/rag/cli-escapes.test.ts).
  const ids = earlier.map((d) => escapeLine(d.id));
  const which =
    ids.length === 1
      ? `an earlier version is still indexed as ${ids[0]}`
      : `earlier versions are still indexed as ${ids.join(', ')}`;
  return shownHint(
    `${escapeLine(name)}: ${which}, and answers may come from it too: \`blueprint rag remove ${shellWord(ids[0]!)}${on}\` removes it${ids.length > 1 ? ' (one id at a time)' : ''}.`,
  );
}

/**
 * No sources: when the collection asked holds no documents (a collection's name mistyped, nothing
 * ingested yet), the answer was the model's alone; say so and how to fill it. Best effort.
 */
async function noDocumentsNote(ctx: Context, parsed: Parsed): Promise<void> {
  const t = target(ctx, parsed);
  const collection = t.collection ?? 'default';
  const docs = await cliBox(ctx)
    .rag.list({ ...t, collection })
    .catch(() => undefined);
  if (docs?.length !== 0) return;
  const named = t.collection === undefined ? '' : ` --collection ${collection}`;
  ctx.warn(
    shownHint(
      `The collection ${collection} holds no documents, so the answer comes from the model alone: \`blueprint rag ingest PATH${named}\` adds some; \`blueprint rag list\` shows the collections.`,
    ),
  );
}

/**
 * `rag list --collection C` found nothing: C holds no document, which is all a collection is (a
 * typo of one, or nothing ingested there yet). Said with the collections there are, as ask's note.
 */
async function noCollectionNote(ctx: Context, t: ReturnType<typeof target>): Promise<void> {
  const { collection, ...every } = t;
  const all = await cliBox(ctx)
    .rag.list(every)
    .catch(() => undefined);
  if (!all) return;
  const names = [...new Set(all.map((d) => d.collection))].sort();
  ctx.warn(
    shownHint(
      `There is no collection ${collection} (${names.length ? `no document in it); the collections: ${names.join(', ')}.` : 'nothing is indexed yet).'} \`blueprint rag ingest PATH --collection ${collection}\` adds documents to it; \`blueprint rag list\` shows every collection's documents.`,
    ),
  );
}

const ask: CommandSpec = {
  name: 'ask',
  summary: 'Ask a question: an answer from the indexed documents, with its sources',
  args: 'QUESTION...',
  judgesEmptyArgs: true,
  options: {
    k: {
      type: 'string',
      value: 'N',
      description: 'How many chunks to retrieve as context (1 to 32, default 4)',
    },
    stream: { type: 'boolean', description: 'Print the answer as it is written' },
    'max-tokens': { type: 'string', value: 'N', description: 'Longest answer, in tokens' },
    source: {
      type: 'string',
      value: 'NAME',
      description: 'Only from the documents with this source, as `rag list` shows it',
    },
    document: {
      type: 'string',
      value: 'ID',
      description: 'Only from this document: its id, or the start of it no other id begins with',
    },
    ...collectionOption,
    ...serviceOption,
  },
  details: `The rag module retrieves the chunks nearest the question, the llm module answers from them,
and the sources follow the answer: document, page, score. --source and --document keep the context
to one document (PrivateGPT's context_filter); both: that document only if it has that source.
--document takes the start of an id as git and Docker do (\`rag ask … --document ccdda47c\`): exit 2
naming them when several ids begin so, or when the document is in another collection than the one
asked; exit 3 when none does. With --json one document at the end: {answer,
sources:[{document,source,page,score}], finishReason}.

Example: blueprint rag ask "How do I reset the filter?" --k 6 --stream`,
  async run(ctx, parsed) {
    const question = requirePositionals(parsed, 1, 'a QUESTION', 'blueprint rag ask').join(' ');
    if (!question.trim())
      throw new UsageError(
        'The question is empty',
        'Example: `blueprint rag ask "How do I reset the filter?"`',
      );
    const stream = optBool(parsed, 'stream');
    // What the module's chat takes (its retrieve takes 100): checked here, before anything is sent.
    const k = whole(parsed, 'k', 1, 32);
    const maxTokens = whole(parsed, 'max-tokens', 1, 1_000_000);
    const source = optString(parsed, 'source');
    const document = optString(parsed, 'document');
    let shown = false;
    const answer = await cliBox(ctx).rag.ask(question, {
      ...target(ctx, parsed),
      stream,
      ...(k === undefined ? {} : { k }),
      ...(maxTokens === undefined ? {} : { maxTokens }),
      ...(source === undefined ? {} : { source }),
      ...(document === undefined ? {} : { document }),
      onText: (text) => {
        if (ctx.json) return;
        shown = true;
        ctx.stdout.write(escapeText(text));
      },
    });
    if (ctx.json) return ctx.result(answer);
    if (shown) ctx.stdout.write('\n\n');
    ctx.result(answer.sources, (s) => sourcesText(s as RagSource[]));
    if (answer.sources.length === 0 && (source !== undefined || document !== undefined)) {
      // Before --source / --document, a PrivateGPT user had no way to ask of one document here.
      const named = [
        source === undefined ? '' : ` --source ${source}`,
        document === undefined ? '' : ` --document ${document}`,
      ].join('');
      ctx.warn(
        shownHint(
          `No document matched${named}, so the answer comes from the model alone: \`blueprint rag list\` shows the documents' sources and ids.`,
        ),
      );
    } else if (answer.sources.length === 0) await noDocumentsNote(ctx, parsed);
  },
};

const list: CommandSpec = {
  name: 'list',
  summary: 'The indexed documents: id, source, collection, chunks, pages, size, when added',
  options: {
    collection: {
      type: 'string',
      value: 'C',
      description: 'Only this collection (default: every collection)',
    },
    'no-trunc': {
      type: 'boolean',
      description:
        'Show ids whole (default: as short as no other listed id begins so, 8 characters at least)',
    },
    ...serviceOption,
  },
  async run(ctx, parsed) {
    const t = target(ctx, parsed);
    const docs = await cliBox(ctx).rag.list(t);
    ctx.result(docs, documentsTable(docs, { wholeIds: optBool(parsed, 'no-trunc') }));
    if (!docs.length && t.collection !== undefined && !ctx.json) await noCollectionNote(ctx, t);
  },
};

const remove: CommandSpec = {
  name: 'remove',
  summary: 'Remove a document and all its chunks from the index',
  args: 'ID',
  options: { ...serviceOption },
  details: `ID: the document's id as \`rag list\` shows it, or the start of it that no other id begins with
(as git and Docker take ids): \`blueprint rag remove ccdda47c\`. What was removed is said by its whole id.

Exit codes: 0 removed, or no document's id is or begins with ID ("rag: no document ID, nothing to
do", as \`bpkg remove\` of a package not installed: running it again is harmless; \`blueprint rag list\`
shows the ids), 2 several ids begin so (each named; nothing removed), 3 an ID with characters no id
has (a look-alike letter, a zero-width or trailing space; named as U+XXXX) that matches none.
--json: {id, chunks, deleted, changed} (deleted and changed false when there was nothing to remove).`,
  async run(ctx, parsed) {
    const [id] = requirePositionals(parsed, 1, 'a document ID', 'blueprint rag remove');
    const r = await cliBox(ctx).rag.remove(id!, target(ctx, parsed));
    ctx.report(
      { id: r.id, chunks: r.chunks, deleted: r.removed, changed: r.removed },
      ragRemovedText(r, target(ctx, parsed).service),
    );
  },
};

export const ragGroup: CommandGroup = {
  name: 'rag',
  summary: 'Documents in, answers with sources out, through the installed rag module',
  commands: [ingest, ask, list, remove],
};
