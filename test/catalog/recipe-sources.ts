/**
 * Each recipe module's package source made into `out` by its own package.ts (embeddings with the tiny
 * BERT fixture): what the catalog tests build an image root from. rag's image holds no npm package
 * folder and has its own SBOM test (security/sbom), so `WITH_PACKAGES` leaves it out.
 */
import path from 'node:path';
import { repoRoot } from '../helpers/pkg.js';

type MakeSource = (out: string) => Promise<unknown>;

/** The recipe modules whose images carry npm package folders (native addons). */
export const WITH_PACKAGES: Record<string, MakeSource> = {
  embeddings: async (out) =>
    (await import('../../modules/embeddings/package.js')).makePackageSource({
      model: path.join(repoRoot, 'test/fixtures/models/tiny-bert'),
      out,
    }),
  vectors: async (out) => (await import('../../modules/vectors/package.js')).makePackageSource({ out }),
  llm: async (out) => (await import('../../modules/llm/package.js')).makePackageSource({ out }),
};

/** Every recipe module. */
export const RECIPES: Record<string, MakeSource> = {
  ...WITH_PACKAGES,
  rag: async (out) => (await import('../../modules/rag/package.js')).makePackageSource({ out }),
};
