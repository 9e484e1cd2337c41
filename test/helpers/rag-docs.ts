/**
 * Documents for rag's ingest tests (test/rag/delete-unfinished, two-rags): a Markdown document of
 * one section a sentence, each under its own heading (`# TOPIC N`), so that each sentence is one
 * chunk (rag's chunker never lets a chunk span a heading) and a document's chunk count is known.
 */
export const sectionedDoc = (topic: string, sentences: string[]): string =>
  sentences.map((s, i) => `# ${topic} ${i + 1}\n\n${s}\n`).join('\n');
