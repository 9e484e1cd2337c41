/**
 * The part of a module recipe that builds a model into its package (modules/embeddings/package.ts,
 * and modules/llm/package.ts with --model): the model folder copied to SRC/payload/models/NAME/
 * (links followed), and every file's SHA-256 by its path in the payload, for the manifest's
 * `files` (checked at install) and the service's environment (checked again at each start).
 * Build time only (Node 24); nothing here goes into an image.
 */
import { cpSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { filesUnder, sha256 } from '../../modules/kit/image.ts';

export function placeModel(model: string, out: string): { name: string; files: Record<string, string> } {
  const name = basename(model);
  const folder = join(out, 'payload/models', name);
  cpSync(model, folder, { recursive: true, dereference: true });
  const payload = join(out, 'payload');
  const files = Object.fromEntries(filesUnder(folder).map((f) => [relative(payload, f), sha256(f)]));
  return { name, files };
}
