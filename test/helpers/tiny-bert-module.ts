/**
 * moduleE2E's sources for the embeddings module with the tiny BERT fixture (test/embeddings/e2e,
 * test/clients/python-openai-embeddings): the package source named `name`, its image its own (not
 * the demo's embeddings', which has the same contents).
 */
import { join } from 'node:path';
import { makePackageSource } from '../../modules/embeddings/package.js';
import { FIXTURE_MODELS } from '../embeddings/helpers.js';
import { ownImageContents } from '../services/helpers.js';

export const tinyBertModule =
  (name: string) =>
  async (work: string): Promise<string[]> => {
    const { dir } = await makePackageSource({
      model: join(FIXTURE_MODELS, 'tiny-bert'),
      out: join(work, 'src'),
      name,
    });
    ownImageContents(dir);
    return [dir];
  };
