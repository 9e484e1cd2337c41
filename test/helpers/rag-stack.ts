/**
 * The four package sources of a rag stack (embeddings with the GloVe model, vectors, llm with the
 * tiny llama, rag using the three), under names of its own: the end-to-end test
 * (test/rag/e2e.test.ts) and the benchmark (scripts/bench/rag.mjs) build and install them the way
 * a user does. Imports carry .ts so that the benchmark runs it with Node's own type stripping.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makePackageSource as embeddingsSource } from '../../modules/embeddings/package.ts';
import { makePackageSource as llmSource } from '../../modules/llm/package.ts';
import { makePackageSource as ragSource } from '../../modules/rag/package.ts';
import { makePackageSource as vectorsSource } from '../../modules/vectors/package.ts';
import { defaultModelCache, ensureGloveModel, GLOVE_MODEL } from '../../scripts/models/glove.ts';

export const ROLES = ['embeddings', 'vectors', 'llm'] as const;
export type StackNames = Record<'rag' | (typeof ROLES)[number], string>;
export const TINY_LLAMA = resolve(import.meta.dirname, '../fixtures/models/tiny-llama');
export { GLOVE_MODEL };

/** Unique names: container names (blueprint-NAME) are global on a Podman engine that test runs share. */
export const stackNames = (tag: string): StackNames => ({
  rag: `rag-${tag}`,
  embeddings: `emb-${tag}`,
  vectors: `vec-${tag}`,
  llm: `llm-${tag}`,
});

/** The GloVe model folder (made from the npm package's vectors and cached; ~15 s the first time). */
export function gloveModel(): string {
  const models = defaultModelCache();
  ensureGloveModel(models);
  return join(models, GLOVE_MODEL);
}

/**
 * Writes the four package sources under `work` and returns their folders (rag last); embeddings
 * serve GloVe unless `embeddingsModel` names another model folder (the bench's MiniLM shape). The rag
 * manifest `uses` the three by their names here, and its RAG_EMBEDDINGS_MODULE (…_VECTORS_,
 * …_LLM_) says which used module plays each role (modules/rag/README.md); sockets, tokens and
 * mounts are then the wiring's own.
 */
export async function stackSources(
  work: string,
  names: StackNames,
  opts: { llmContext?: number; embeddingsModel?: string; ragNamedByHost?: boolean } = {},
): Promise<string[]> {
  const emb = await embeddingsSource({
    model: opts.embeddingsModel ?? gloveModel(),
    out: join(work, 'emb'),
    name: names.embeddings,
  });
  const vec = await vectorsSource({ out: join(work, 'vec'), name: names.vectors });
  const llm = await llmSource({
    model: TINY_LLAMA,
    out: join(work, 'llm'),
    name: names.llm,
    context: opts.llmContext ?? 1024,
  });
  const rag = await ragSource({
    out: join(work, 'rag'),
    name: names.rag,
    uses: ROLES.map((r) => `${names[r]}>=0.1.0,<1.0.0`),
  });
  const file = join(rag.dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  for (const r of ROLES) manifest.service.env[`RAG_${r.toUpperCase()}_MODULE`] = names[r];
  // rag names its vectors collections from its module's name, its sandbox's host name (`RAG-NAME@default`
  // here: modules/rag/server/names.ts); the benches and their probes look in `rag-default`, so this rag
  // is told it is rag unless the test is about the naming (ragNamedByHost).
  if (!opts.ragNamedByHost) manifest.service.env.RAG_MODULE_NAME = 'rag';
  writeFileSync(file, JSON.stringify(manifest, null, 2));
  return [emb.dir, vec.dir, llm.dir, rag.dir];
}
